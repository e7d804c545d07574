"""The demo step on the test district (with fewer issues): what it writes, and that a second run adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.demo.district import DemoDistrict
from mofan.learning import demo
from mofan.learning.models import DailyAnswer, DailyIssue, PointsAward, PointsRuleSet, Selection, StudySession

pytestmark = pytest.mark.django_db


def test_learning_demo_step(district: Any, make_user: Any, make_learner: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(demo, "ISSUES", 6)
    secretary = make_user(Role.SECRETARY, district.department, username="shuji")
    for name in ("甲", "乙", "丙"):
        make_learner(district.department, name=name)
    demo_district = DemoDistrict(root=district.district, units={"zfw": district.organ}, towns=[], villages={},
                                 accounts={"secretary": secretary}, people_count=3, today=timezone.localdate())
    summary = demo.learning_demo(demo_district)
    assert summary.startswith("3 learners") and "6 daily issues" in summary
    assert list(DailyIssue.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert DailyAnswer.objects.exists() and StudySession.objects.count() == 8
    assert set(PointsAward.objects.values_list("rule_version", flat=True)) <= {1, 2}
    assert PointsRuleSet.objects.count() == 2 and Selection.objects.count() == 3
    assert demo.learning_demo(demo_district) == "already there"
    assert DailyIssue.objects.count() == 6

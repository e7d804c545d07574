"""积分: versioned rules by date, caps per action and per day, idempotence, the exams receiver."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mofan.audit.models import AuditLog
from mofan.exams.signals import attempt_submitted
from mofan.learning import points
from mofan.learning.models import PointsAward, PointsRuleSet

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_award_gives_points_once_per_user_action_ref(study: Any, rules: Any) -> None:
    day = dt.date(2026, 3, 2)
    assert points.award(user=study.alice, action="daily_issue", ref="issue:1", at=_at(day)) == 5
    assert points.award(user=study.alice, action="daily_issue", ref="issue:1", at=_at(day, 11)) == 0
    assert PointsAward.objects.filter(user=study.alice).count() == 1
    award = PointsAward.objects.get(user=study.alice)
    assert (award.points, award.rule_version, award.day, award.unit_path) == (5, 1, day, study.branch.path)


def test_per_action_daily_cap_cuts_the_award(study: Any, rules: Any) -> None:
    day = dt.date(2026, 3, 2)
    given = [points.award(user=study.alice, action="read_material", ref=f"m:{i}", at=_at(day)) for i in range(15)]
    assert given == [1] * 12 + [0] * 3
    assert points.points_total(user=study.alice) == 12
    # the next day the cap starts again
    assert points.award(user=study.alice, action="read_material", ref="m:99", at=_at(day + dt.timedelta(days=1))) == 1


def test_overall_daily_cap_cuts_the_award(study: Any, db: Any) -> None:
    points.ruleset_create(actor=None, version=1, effective_from=dt.date(2020, 1, 1), daily_cap=12,
                          rules={"test_passed": (10, 100), "daily_issue": (5, 5)})
    day = dt.date(2026, 3, 2)
    assert points.award(user=study.alice, action="test_passed", ref="a:1", at=_at(day)) == 10
    assert points.award(user=study.alice, action="daily_issue", ref="i:1", at=_at(day)) == 2  # 12 - 10
    assert points.award(user=study.alice, action="test_passed", ref="a:2", at=_at(day)) == 0
    assert PointsAward.objects.filter(user=study.alice).count() == 3  # the capped award is recorded with 0
    assert points.points_total(user=study.alice) == 12


def test_the_rule_set_in_force_on_the_day_applies(study: Any, rules: Any) -> None:
    new = dict(points.DEFAULT_RULES, daily_issue=(8, 8))
    points.ruleset_create(actor=None, version=2, effective_from=dt.date(2026, 6, 1), daily_cap=80, rules=new)
    assert points.award(user=study.alice, action="daily_issue", ref="i:1", at=_at(dt.date(2026, 5, 31))) == 5
    assert points.award(user=study.alice, action="daily_issue", ref="i:2", at=_at(dt.date(2026, 6, 1))) == 8
    versions = dict(PointsAward.objects.values_list("ref", "rule_version"))
    assert versions == {"i:1": 1, "i:2": 2}


def test_no_rule_set_no_points(study: Any) -> None:
    assert points.award(user=study.alice, action="daily_issue", ref="i:1") == 0
    assert PointsAward.objects.count() == 0


def test_unknown_action_is_a_programming_error(study: Any, rules: Any) -> None:
    with pytest.raises(ValueError):
        points.award(user=study.alice, action="jumping", ref="x")


def test_ruleset_versions_and_dates_only_grow(study: Any, rules: Any) -> None:
    before = PointsRuleSet.objects.count()
    with pytest.raises(ValidationError, match="higher version"):
        points.ruleset_create(actor=None, version=1, effective_from=dt.date(2027, 1, 1), daily_cap=10,
                              rules={"daily_issue": (1, 1)})
    with pytest.raises(ValidationError, match="Unknown points actions"):
        points.ruleset_create(actor=None, version=3, effective_from=dt.date(2027, 1, 1), daily_cap=10,
                              rules={"sleeping": (1, 1)})
    assert PointsRuleSet.objects.count() == before


def test_ruleset_by_a_district_secretary_is_audited(study: Any, make_user: Any) -> None:
    top = make_user("secretary", study.d.district, username="sec_district")
    ruleset = points.ruleset_create(actor=top, version=1, effective_from=dt.date(2026, 1, 1), daily_cap=50,
                                    rules={"daily_issue": (5, 5)})
    row = AuditLog.objects.get(event_name="learning.points.rules_changed", target_id=str(ruleset.pk))
    assert row.actor == top
    assert (row.new_values or {})["version"] == 1


def test_ruleset_by_a_branch_secretary_is_refused(study: Any) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        points.ruleset_create(actor=study.secretary, version=1, effective_from=dt.date(2026, 1, 1), daily_cap=50,
                              rules={"daily_issue": (5, 5)})
    assert PointsRuleSet.objects.count() == 0


def test_attempt_submitted_awards_submission_and_pass(study: Any, rules: Any) -> None:
    at = _at(dt.date(2026, 4, 1))
    attempt = SimpleNamespace(pk=77, user=study.bob, submitted_at=at)
    attempt_submitted.send(sender=None, attempt=attempt, passed=None)  # short answers still to mark
    assert dict(PointsAward.objects.filter(user=study.bob).values_list("action", "points")) == {"test_submitted": 5}
    attempt_submitted.send(sender=None, attempt=attempt, passed=True)  # marked: passed
    assert dict(PointsAward.objects.filter(user=study.bob).values_list("action", "points")) == {
        "test_submitted": 5, "test_passed": 10}
    attempt_submitted.send(sender=None, attempt=attempt, passed=True)  # sent again: nothing more
    assert PointsAward.objects.filter(user=study.bob).count() == 2
    assert set(PointsAward.objects.filter(user=study.bob).values_list("ref", flat=True)) == {"77"}

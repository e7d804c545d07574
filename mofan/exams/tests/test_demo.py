"""The exams demo step on the demo district: two tests, the secretary sees them, the journey's accounts have
not taken the open one, and a second run adds nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from mofan.demo.district import build_district
from mofan.exams import selectors
from mofan.exams.demo import BUSINESS, POLICY, exams_demo
from mofan.exams.models import Attempt, AttemptState, Paper, PaperState

pytestmark = pytest.mark.django_db


def test_exams_demo(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", "--no-steps", stdout=io.StringIO())
    district = build_district()
    summary = exams_demo(district)  # how long it takes is for benchmarks, not for an assertion here
    assert "2 tests" in summary
    business, policy = Paper.objects.get(title=BUSINESS), Paper.objects.get(title=POLICY)
    assert business.state == PaperState.CLOSED and policy.state == PaperState.PUBLISHED
    secretary = district.accounts["secretary"]
    assert set(selectors.organiser_papers(actor=secretary)) == {business, policy}
    rows = selectors.results_by_person(actor=secretary, paper=business)
    assert rows and all(r.attempts == 1 for r in rows)
    assert Attempt.objects.filter(paper=business, state=AttemptState.SUBMITTED).exists()  # left to mark
    unfinished = {u.username for u in selectors.unfinished(actor=secretary, paper=policy)}
    assert {"dangyuan", "ganbu"} <= unfinished
    assert exams_demo(district) == "already there"
    assert Paper.objects.count() == 2

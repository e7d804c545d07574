"""The contests demo step on the demo district (after the learning step made the learners): one finished
业务大比武 whose advancers are a figure, and a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from mofan.contests.demo import NAME, contests_demo
from mofan.contests.models import Competition, Entry, Round
from mofan.core.figures import FigureScope, get
from mofan.demo.district import build_district
from mofan.learning.demo import learning_demo

pytestmark = pytest.mark.django_db


def test_contests_demo(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", "--no-steps", stdout=io.StringIO())
    district = build_district()
    learning_demo(district)
    started = time.monotonic()
    summary = contests_demo(district)
    assert time.monotonic() - started < 30
    competition = Competition.objects.get(name=NAME)
    assert competition.state == "finished" and "1 competition" in summary
    heats, final = Round.objects.filter(competition=competition).order_by("order")
    finalists = Entry.objects.filter(round=final)
    assert 0 < finalists.count() <= 8
    per_unit: dict[int, int] = {}
    for entry in Entry.objects.filter(round=heats, qualified=True):
        per_unit[entry.unit_id] = per_unit.get(entry.unit_id, 0) + 1
        assert entry.score >= 60
    assert max(per_unit.values()) <= 3
    assert all(e.answered == 5 for e in finalists)
    today = timezone.localdate()
    scope = FigureScope(unit=None, start=today - dt.timedelta(days=60), end=today)
    assert get("contests.advancers").value(district.accounts["secretary"], scope) == finalists.count()
    assert contests_demo(district) == "already there"
    assert Competition.objects.count() == 1

"""core.hotpath runs the same SQL the ORM would, on both engines: a compiled query gives the ORM's rows for
any value, an inserted row reads back through the ORM as saved, and an update adds in the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mofan.conftest import District
from mofan.core.hotpath import Compiled, as_datetime, insert_row, update_row
from mofan.learning.models import DailyAnswer, DailyIssue
from mofan.org.models import Unit

pytestmark = pytest.mark.django_db


def _issue(unit: Unit, number: int) -> DailyIssue:
    return DailyIssue.objects.create(unit=unit, unit_path=unit.path, number=number, published_on=dt.date(2026, 11, 1),
                                     title=f"第{number}期", material_text="学习材料")


def _children(parent_id: Any) -> Any:
    return Unit.objects.filter(parent_id=parent_id, is_active=True).order_by("path").values_list("name", "path")


def test_compiled_query_gives_the_orms_rows_for_each_value(district: District) -> None:
    children = Compiled(_children)
    for parent in (district.district, district.town_a, district.village_b1):
        assert children.rows(parent.pk) == list(_children(parent.pk))
    assert children.first(district.town_b.pk) == ("村三", district.village_b1.path)
    assert children.first(district.village_a1.pk) is None
    assert children.dicts(district.town_b.pk) == [{"name": "村三", "path": district.village_b1.path}]
    with CaptureQueriesContext(transaction.get_connection()) as captured:
        children.rows(district.town_a.pk)
    assert len(captured.captured_queries) == 1  # the caller's query counts see it


def test_a_query_whose_value_is_not_one_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="sentinel"):
        Compiled(lambda _value: Unit.objects.filter(is_active=True)).sql()
    with pytest.raises(ValueError, match="sentinel"):
        Compiled(lambda value: Unit.objects.filter(pk=value, parent_id=value)).sql()


def test_inserted_row_reads_back_as_the_orm_saves_it(district: District, make_user: Any) -> None:
    issue, user = _issue(district.town_a, 1), make_user()
    moment = timezone.now().replace(microsecond=123456)
    responses = {"7": ["甲", "乙"], "8": "全角ＡＢＣ", "9": None}
    pk = insert_row(DailyAnswer, {"issue": issue.pk, "user": user.pk, "responses": responses, "correct": 2,
                                  "score": Decimal("66.67"), "answered_at": moment})
    saved = DailyAnswer.objects.get(pk=pk)
    assert (saved.issue_id, saved.user_id, saved.responses, saved.correct, saved.score, saved.answered_at) == (
        issue.pk, user.pk, responses, 2, Decimal("66.67"), moment)
    second = insert_row(DailyAnswer, {"issue": _issue(district.town_a, 2).pk, "user": user.pk, "responses": {},
                                      "correct": 0, "score": Decimal(0), "answered_at": moment})
    assert second > pk


def test_insert_against_a_constraint_raises_and_writes_nothing(district: District, make_user: Any) -> None:
    issue, user = _issue(district.town_a, 1), make_user()
    values = {"issue": issue.pk, "user": user.pk, "responses": {}, "correct": 0, "score": Decimal(0),
              "answered_at": timezone.now()}
    insert_row(DailyAnswer, values)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(DailyAnswer, values)  # learning_answer_once
    assert DailyAnswer.objects.count() == 1


def test_update_adds_in_the_database_and_sets(district: District, make_user: Any) -> None:
    answer = DailyAnswer.objects.create(issue=_issue(district.town_a, 1), user=make_user(), correct=1,
                                        score=Decimal("10.50"))
    moment = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    changed = update_row(DailyAnswer, answer.pk, add={"correct": 2, "score": Decimal("0.25")},
                         set={"answered_at": moment, "responses": {"1": "对"}})
    assert changed == 1
    answer.refresh_from_db()
    assert (answer.correct, answer.score, answer.answered_at, answer.responses) == (3, Decimal("10.75"), moment,
                                                                                    {"1": "对"})
    assert update_row(DailyAnswer, answer.pk + 1000, add={"correct": 1}) == 0
    with pytest.raises(ValueError, match="nothing"):
        update_row(DailyAnswer, answer.pk)


def test_as_datetime_reads_both_engines_forms() -> None:
    aware = dt.datetime(2026, 11, 29, 8, 30, tzinfo=dt.UTC)
    assert as_datetime("2026-11-29 08:30:00") == aware  # SQLite's text, UTC
    assert as_datetime(aware) == aware
    assert as_datetime(None) is None

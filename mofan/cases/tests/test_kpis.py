"""The KPI figures: their definitions, the funnel's arithmetic, isolation, breakdowns, and the counters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.cases import kpis
from mofan.cases.models import Case, Dispatch, Level, Satisfaction
from mofan.cases.services.closing import case_callback, case_reopen, case_verify
from mofan.cases.services.dispatch import (
    case_dispatch,
    case_summon,
    dispatch_check_in,
    dispatch_feedback,
    dispatch_rate,
)
from mofan.cases.services.triage import case_merge, case_reject
from mofan.cases.tests.ops_factory import district_case, fresh, report, town_case

pytestmark = pytest.mark.django_db

needs_tally = pytest.mark.skipif(kpis.tally_model() is None, reason="the KpiTally model is not installed")


def this_month() -> kpis.Scope:
    return kpis.Scope(kpis.Period.of("month", timezone.localdate()))


def answer(dispatch: Dispatch, handler: Any) -> Dispatch:
    dispatch_check_in(actor=handler, dispatch=dispatch)
    return dispatch_feedback(actor=handler, dispatch=fresh(dispatch), result="已处理")


def closed_district_case(gov: Any, satisfaction: str = Satisfaction.SATISFIED, co: bool = False) -> Case:
    """A district case dispatched to 司法局 (and 城管局), answered, verified and called back."""
    case = district_case(gov)
    rows = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice, co=[gov.urban] if co else [])
    answer(rows[0], gov.justice_handler)
    if co:
        answer(rows[1], gov.urban_handler)
    case = case_verify(actor=gov.district_operator, case=fresh(case))
    return case_callback(actor=gov.district_operator, case=case, satisfaction=satisfaction, solved=True)


@pytest.fixture
def boss(gov: Any, make_user: Any) -> Any:
    """A centre operator over the whole district (sees every case of it)."""
    return make_user(Role.CENTRE_OPERATOR, gov.d.district, username="op_whole_district")


@pytest.fixture
def mix(gov: Any) -> dict[str, Case]:
    """One case in each corner of the funnel."""
    cases = {
        "pending": report(gov),  # 村一, waiting
        "rejected": report(gov),
        "merged": report(gov),
        "accepted": town_case(gov),  # 甲镇 (村二 has no centre)
        "closed": closed_district_case(gov, co=True),
        "unsatisfied": closed_district_case(gov, Satisfaction.UNSATISFIED),
        "other_town": report(gov, gov.d.village_b1),  # 乙镇 村三
    }
    case_reject(actor=gov.village_a1_operator, case=cases["rejected"], reason="不属于受理范围")
    case_merge(actor=gov.village_a1_operator, case=cases["merged"], into=cases["pending"])
    return {k: fresh(v) for k, v in cases.items()}


def test_the_funnel_adds_up_and_counts_each_case_once(gov: Any, boss: Any, mix: dict[str, Case]) -> None:
    figures = kpis.compute(boss, this_month())
    c = figures.counts
    assert (c["collected"], c["rejected"], c["merged"], c["pending"], c["accepted"]) == (7, 1, 1, 2, 3)
    assert c["collected"] == c["rejected"] + c["accepted"] + c["pending"] + c["merged"]
    assert (c["resolved"], c["closed"], c["called_back"], c["satisfied"], c["unsatisfied"]) == (2, 2, 2, 1, 1)
    assert (c["resolved_district"], c["resolved_town"], c["resolved_village"]) == (2, 0, 0)
    # Three dispatches (司法局 twice, 城管局 once), all answered, all checked in on time.
    assert (c["dispatches"], c["dispatches_answered"], c["checked_in_on_time"]) == (3, 3, 3)
    assert figures.rates["dispatch_completion"] == kpis.Ratio(3, 3)
    assert figures.rates["resolution_rate"] == kpis.Ratio(2, 3)
    assert figures.rates["satisfaction_rate"].percent == "50.0%"
    assert figures["resolved"] == 2 and figures["response_rate"].value == 1.0


def test_every_number_is_the_size_of_its_list(gov: Any, boss: Any, mix: dict[str, Case]) -> None:
    scope = this_month()
    figures = kpis.compute(boss, scope)
    for key in kpis.FIGURES:
        assert kpis.figure_rows(boss, key, scope).count() == figures.counts[key], key
    assert set(kpis.figure_rows(boss, "rejected", scope)) == {mix["rejected"]}
    assert set(kpis.figure_rows(boss, "accepted", scope)) == {mix["accepted"], mix["closed"], mix["unsatisfied"]}
    assert {d.case for d in kpis.figure_rows(boss, "dispatches", scope)} == {mix["closed"], mix["unsatisfied"]}


def test_a_reopened_case_no_longer_counts_as_resolved(gov: Any, boss: Any) -> None:
    case = closed_district_case(gov)
    assert kpis.compute(boss, this_month()).counts["resolved"] == 1
    case_reopen(actor=gov.district_operator, case=case, reason="群众再次反映")
    c = kpis.compute(boss, this_month()).counts
    assert (c["resolved"], c["accepted"], c["closed"]) == (0, 1, 0)


def test_a_town_sees_its_villages_and_not_the_other_town(gov: Any, mix: dict[str, Case]) -> None:
    scope = this_month()
    town_a = kpis.compute(gov.town_a_operator, scope).counts
    assert town_a["collected"] == 4  # 村一: pending, rejected, merged; 村二: accepted by the town
    town_b = kpis.compute(gov.town_b_operator, scope).counts
    assert (town_b["collected"], town_b["pending"], town_b["dispatches"]) == (1, 1, 0)
    village = kpis.compute(gov.village_a1_operator, scope).counts
    assert village["collected"] == 3
    assert mix["accepted"] not in kpis.figure_rows(gov.village_a1_operator, "collected", scope)
    assert mix["other_town"] not in kpis.figure_rows(gov.town_a_operator, "collected", scope)


def test_a_department_counts_only_its_own_dispatches(gov: Any, mix: dict[str, Case]) -> None:
    scope = this_month()
    justice = kpis.compute(gov.justice_handler, scope).counts
    assert (justice["collected"], justice["dispatches"], justice["dispatches_answered"]) == (2, 2, 2)
    urban = kpis.compute(gov.urban_handler, scope).counts
    assert (urban["collected"], urban["dispatches"]) == (1, 1)
    assert {d.department for d in kpis.figure_rows(gov.urban_handler, "dispatches", scope)} == {gov.urban}
    assert not kpis.can_view(None)


def test_someone_without_case_roles_sees_nothing(gov: Any, make_user: Any, mix: dict[str, Case]) -> None:
    clerk = make_user(Role.CADRE, gov.d.district)
    assert not kpis.can_view(clerk)
    assert kpis.compute(clerk, this_month()).counts["collected"] == 0


def test_the_period_unit_and_level_narrow_the_figures(gov: Any, boss: Any, mix: dict[str, Case]) -> None:
    old = mix["other_town"]
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    kpis.tally_rebuild()
    assert kpis.compute(boss, this_month()).counts["collected"] == 6
    last_year = kpis.Scope(kpis.Period.of("year", timezone.localdate() - dt.timedelta(days=400)))
    assert kpis.compute(boss, last_year).counts["collected"] >= 1
    town_a = kpis.Scope(this_month().period, unit=gov.d.town_a)
    assert kpis.compute(boss, town_a).counts["collected"] == 4
    district_level = kpis.Scope(this_month().period, level=Level.DISTRICT)
    assert kpis.compute(boss, district_level).counts["collected"] == 2
    justice = kpis.Scope(this_month().period, department=gov.justice)
    assert kpis.compute(boss, justice).counts["dispatches"] == 2
    assert kpis.compute(boss, justice).counts["collected"] == 2


def test_overdue_counts_open_cases_past_their_due(gov: Any, boss: Any, mix: dict[str, Case]) -> None:
    Case.objects.filter(pk=mix["pending"].pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    Case.objects.filter(pk=mix["closed"].pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert list(kpis.figure_rows(boss, "overdue", this_month())) == [mix["pending"]]
    assert kpis.compute(boss, this_month()).counts["overdue"] == 1


def test_periods() -> None:
    on = dt.date(2025, 8, 15)
    assert kpis.Period.of("month", on) == kpis.Period("month", dt.date(2025, 8, 1), dt.date(2025, 8, 31))
    assert kpis.Period.of("quarter", on) == kpis.Period("quarter", dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    assert kpis.Period.of("year", on).end == dt.date(2025, 12, 31)
    assert kpis.Period.of("quarter", dt.date(2024, 2, 29)).end == dt.date(2024, 3, 31)
    assert kpis.Period.of("month", on).previous().start == dt.date(2025, 7, 1)
    assert kpis.Period.of("year", on).next().start == dt.date(2026, 1, 1)
    months, edges = kpis.Period("custom", dt.date(2025, 1, 15), dt.date(2025, 4, 10)).split()
    assert months == [dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    assert [(e.start, e.end) for e in edges] == [(dt.date(2025, 1, 15), dt.date(2025, 1, 31)),
                                                 (dt.date(2025, 4, 1), dt.date(2025, 4, 10))]
    assert kpis.Period.of("year", on).split() == ([dt.date(2025, m, 1) for m in range(1, 13)], [])
    assert kpis.Period("custom", dt.date(2025, 1, 3), dt.date(2025, 1, 9)).split()[0] == []
    start, end = kpis.Period.of("month", on).bounds()
    assert timezone.localtime(start).date() == dt.date(2025, 8, 1) and (end - start).days == 31


def test_ratios() -> None:
    assert kpis.Ratio(1, 3).percent == "33.3%" and kpis.Ratio(0, 0).percent == "—"
    assert kpis.Ratio(0, 0).value is None


def test_the_unit_table_splits_the_district_by_town(gov: Any, boss: Any, mix: dict[str, Case]) -> None:
    rows = kpis.unit_table(boss, this_month(), gov.d.district)
    by_unit = {(r.unit.name, r.own): r.figures.counts for r in rows}
    assert by_unit[("测试区", True)]["collected"] == 2  # the two district cases
    assert by_unit[("甲镇", False)]["collected"] == 4
    assert by_unit[("乙镇", False)]["collected"] == 1
    assert sum(r.figures.counts["collected"] for r in rows) == 7
    assert by_unit[("测试区", True)]["dispatches"] == 3
    own = kpis.own_scope(kpis.Scope(this_month().period, unit=gov.d.district))
    assert set(kpis.figure_rows(boss, "collected", own)) == {mix["closed"], mix["unsatisfied"]}
    towns = kpis.unit_table(boss, this_month(), gov.d.town_a)
    assert [(r.unit.name, r.figures.counts["collected"]) for r in towns] == [("甲镇", 0), ("村一", 3), ("村二", 1)]


def test_departments_are_ranked_on_their_own_dispatches(gov: Any, boss: Any, mix: dict[str, Case]) -> None:
    for d in Dispatch.objects.filter(department=gov.justice):
        dispatch_rate(actor=gov.district_operator, dispatch=d, rating=5 if d.case == mix["closed"] else 3)
    dispatch_rate(actor=gov.district_operator, dispatch=Dispatch.objects.get(department=gov.urban), rating=2)
    ranking = kpis.department_ranking(boss, this_month(), order="rating")
    assert [r.department for r in ranking] == [gov.justice, gov.urban]
    justice = ranking[0]
    assert justice.dispatches == 2 and justice.rating == 4.0
    assert justice.rates["satisfaction_rate"] == kpis.Ratio(1, 2)
    assert justice.rates["resolution_rate"] == kpis.Ratio(2, 2)
    assert ranking[1].rates["satisfaction_rate"] == kpis.Ratio(1, 1)
    # A department sees itself ranked, never the others.
    assert [r.department for r in kpis.department_ranking(gov.urban_handler, this_month())] == [gov.urban]
    assert kpis.department_ranking(gov.town_b_operator, this_month()) == []


def test_a_summons_counts_for_the_town_and_the_department(gov: Any, boss: Any) -> None:
    case = town_case(gov)
    case_summon(actor=gov.town_a_operator, case=case, departments=[gov.justice])
    town = kpis.compute(gov.town_a_operator, this_month()).counts
    assert (town["summons"], town["dispatches"]) == (1, 1)
    assert kpis.compute(gov.justice_handler, this_month()).counts["summons"] == 1
    assert kpis.compute(gov.town_b_operator, this_month()).counts["summons"] == 0


def test_unit_choices_follow_the_jurisdiction(gov: Any, boss: Any) -> None:
    town_a = kpis.unit_choices(gov.town_a_operator)
    assert gov.d.town_a in town_a and gov.d.village_a1 in town_a and gov.town_a_centre in town_a
    assert gov.d.town_b not in town_a and gov.d.district not in town_a
    assert kpis.unit_choices(gov.justice_handler) == []
    assert gov.d.district in kpis.unit_choices(boss)


# The counters -------------------------------------------------------------------------------------------


def _live(actor: Any, scope: kpis.Scope) -> dict[str, int]:
    return {k: v for k, v in kpis._full(kpis._counts(actor, scope, timezone.now(), use_tally=False)
                                        .get(kpis._NO_GROUP)).items()}


def _tallied(actor: Any, scope: kpis.Scope) -> dict[str, int]:
    return kpis._full(kpis._counts(actor, scope, timezone.now()).get(kpis._NO_GROUP))


@needs_tally
def test_the_counters_have_a_column_per_figure() -> None:
    model = kpis.tally_model()
    columns = {f.name for f in model._meta.get_fields()} - {"id", "month", "area", "area_path", "centre",
                                                             "centre_path", "level", "department",
                                                             "department_path"}
    assert columns == set(kpis.TALLY_COLUMNS)


@needs_tally
def test_the_counters_follow_every_change_and_match_a_rebuild(gov: Any, boss: Any, mix: dict[str, Case]) -> None:
    case = town_case(gov)
    case_summon(actor=gov.town_a_operator, case=case, departments=[gov.justice, gov.urban])
    year = kpis.Scope(kpis.Period.of("year", timezone.localdate()))
    for actor in (boss, gov.town_a_operator, gov.village_a1_operator, gov.town_b_operator):
        for scope in (this_month(), year, kpis.Scope(year.period, unit=gov.d.town_a),
                      kpis.Scope(year.period, level=Level.TOWN)):
            assert _tallied(actor, scope) == _live(actor, scope)
    model = kpis.tally_model()
    columns = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
    kept = sorted(model.objects.values_list(*columns), key=str)
    kpis.tally_rebuild()
    rebuilt = sorted(model.objects.values_list(*columns), key=str)
    # Incremental upkeep may leave rows at zero (a case that moved on); a rebuild makes none.
    assert [row for row in kept if any(row[8:])] == rebuilt
    assert kpis.compute(boss, year, clock=False).counts == _live(boss, year)


@needs_tally
def test_the_counters_serve_whole_months_and_the_edges_are_counted_live(gov: Any, boss: Any,
                                                                           mix: dict[str, Case]) -> None:
    today = timezone.localdate()
    span = kpis.Scope(kpis.Period("custom", today.replace(day=1) - dt.timedelta(days=40), today))
    assert _tallied(boss, span) == _live(boss, span)
    ranking = kpis.department_ranking(boss, span)
    assert sum(r.dispatches for r in ranking) == _live(boss, span)["dispatches"]
    for row in ranking:  # a department's numbers, as its list heads show them, come from its counter rows
        narrowed = kpis.Scope(span.period, department=row.department)
        for key in ("dispatches", "dispatches_answered", "checked_in_on_time", "dispatch_case_satisfied"):
            assert kpis.figure_total(boss, key, narrowed) == (kpis.figure_rows(boss, key, narrowed).count(), False)
            assert kpis.figure_total(boss, key, narrowed)[0] == row.counts[key]
    rows = kpis.unit_table(boss, span, gov.d.district)
    assert sum(r.figures.counts["collected"] for r in rows) == 7


def test_the_benchmark_generates_a_consistent_district_and_measures_it(settings: Any) -> None:
    """``mofan bench cases`` at a tiny scale: the generated year adds up like real cases do."""
    from bench import runner
    from mofan.accounts.models import User

    result = runner.run_here("cases", 300)
    metrics = result["metrics"]
    for figure in ("intake_p50", "intake_p95", "list_p95", "funnel", "workbench"):
        assert metrics[f"{figure}_ms"] > 0
    assert metrics["list_queries"] <= 4 and metrics["funnel_queries"] <= 6
    boss = User.objects.get(username="bench_district_operator")
    today = timezone.localdate()
    year = kpis.Scope(kpis.Period("custom", today - dt.timedelta(days=400), today))
    c = kpis.compute(boss, year, clock=False).counts
    assert c["collected"] == 300 + 201  # the generated cases and the intakes (one warm-up)
    assert c["collected"] == c["rejected"] + c["accepted"] + c["pending"] + c["merged"]
    assert 0 < c["resolved"] <= c["accepted"] and c["dispatches_answered"] <= c["dispatches"]
    assert c == _live(boss, year)


def test_overdue_is_counted_up_to_the_cap(gov: Any, boss: Any, mix: dict[str, Case], monkeypatch: Any) -> None:
    Case.objects.filter(state="collected").update(due_at=timezone.now() - dt.timedelta(hours=1))
    monkeypatch.setattr("mofan.core.paging.COUNT_CAP", 1)
    monkeypatch.setattr(kpis.capped_count, "__defaults__", (1,))
    figures = kpis.compute(boss, this_month())
    assert figures.counts["overdue"] == 1 and figures.capped == {"overdue"}

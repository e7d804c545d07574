"""The KPI pages and exports: numbers that link to their cases, filters, isolation, audit of exports."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases import kpis
from mofan.cases.models import Case, Satisfaction
from mofan.cases.tests.ops_factory import report, town_case
from mofan.cases.tests.test_kpis import closed_district_case

pytestmark = pytest.mark.django_db
KPI = "/cases/kpi/"


@pytest.fixture
def boss(gov: Any, make_user: Any) -> Any:
    return make_user(Role.CENTRE_OPERATOR, gov.d.district, username="op_whole_district")


@pytest.fixture
def cases(gov: Any) -> dict[str, Case]:
    return {
        "village": report(gov),
        "town": town_case(gov),
        "district": closed_district_case(gov, Satisfaction.BASICALLY, co=True),
        "other_town": report(gov, gov.d.village_b1),
    }


def english(client: Any) -> Any:
    """Assertions below read English texts: ask for them (the default language is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def links(html: str) -> list[str]:
    return [a.replace("&amp;", "&") for a in re.findall(r'href="(/cases/kpi/[a-z_]+/cases/\?[^"]*)"', html)]


def test_the_page_shows_the_funnel_and_every_number_links_to_its_cases(gov: Any, boss: Any, login: Any,
                                                                        cases: dict[str, Case], monkeypatch: Any,
                                                                        django_assert_max_num_queries: Any) -> None:
    monkeypatch.setattr("mofan.cases.views_kpi.PAGE_SIZE", 1000)  # every list on one page
    client = login(boss)
    with django_assert_max_num_queries(30):
        response = client.get(KPI)
    assert response.status_code == 200
    html = response.content.decode()
    assert "测试区" in html and "甲镇" in html and "司法局" in html  # the unit table and the ranking
    found = links(html)
    assert {url.split("/")[3] for url in found} >= {"collected", "rejected", "accepted", "pending", "resolved",
                                                   "dispatches_answered", "checked_in_on_time", "satisfied",
                                                   "resolved_district", "overdue"}
    # Every number on the page is the length of the list behind it.
    ctx = response.context
    cells = [*ctx["funnel"], *ctx["resolved_levels"], *ctx["overdue_cell"], *ctx["others"]]
    for rate in [ctx["completion"], *ctx["three_rates"], *(r for line in ctx["table"] for r in line["rates"])]:
        cells += [rate.numerator, rate.denominator]
    cells += [cell for line in ctx["table"] for cell in line["cells"]]
    checked = [(cell.url, cell.value) for cell in cells]
    checked += [(url, ratio.numerator) for line in ctx["ranking"] for _key, ratio, url in line["rates"]]
    checked += [(line["dispatches_url"], line["row"].dispatches) for line in ctx["ranking"]]
    assert len(checked) > 60
    for url, value in checked:
        page = client.get(url).context["page"]
        assert (len(page.items), page.total, page.total_capped) == (value, value, False), url


def test_a_figure_lists_exactly_its_cases_newest_first(gov: Any, boss: Any, login: Any,
                                                       cases: dict[str, Case]) -> None:
    client = login(boss)
    html = client.get(f"{KPI}collected/cases/").content.decode()
    codes = re.findall(r"MF\d{6}[A-Z0-9]{6}", html)
    expected = [c.tracking_code for c in sorted(cases.values(), key=lambda c: -c.pk)]
    assert [c for i, c in enumerate(codes) if c not in codes[:i]] == expected
    pending = client.get(f"{KPI}pending/cases/").content.decode()
    assert cases["village"].tracking_code in pending and cases["district"].tracking_code not in pending
    dispatches = client.get(f"{KPI}dispatches/cases/?department={gov.urban.pk}").content.decode()
    assert "城管局" in dispatches and "司法局" not in dispatches


def test_a_town_sees_its_own_numbers_and_a_404_elsewhere(gov: Any, login: Any, cases: dict[str, Case]) -> None:
    client = login(gov.town_b_operator)
    response = client.get(KPI)
    assert response.status_code == 200
    html = client.get(f"{KPI}collected/cases/").content.decode()
    assert cases["other_town"].tracking_code in html
    assert cases["village"].tracking_code not in html and cases["district"].tracking_code not in html
    assert client.get(f"{KPI}collected/cases/?unit={gov.d.town_a.pk}").status_code == 404
    assert client.get(f"{KPI}?unit={gov.d.village_a1.pk}").status_code == 404
    assert client.get(f"{KPI}export.xlsx?unit={gov.d.town_a.pk}").status_code == 404
    assert client.get(f"{KPI}?unit={gov.d.village_b1.pk}").status_code == 200


def test_a_department_sees_only_its_dispatches(gov: Any, login: Any, cases: dict[str, Case]) -> None:
    client = login(gov.urban_handler)
    html = client.get(f"{KPI}dispatches/cases/").content.decode()
    assert "城管局" in html and "司法局" not in html
    assert cases["district"].tracking_code in html
    assert cases["village"].tracking_code not in client.get(f"{KPI}collected/cases/").content.decode()


def test_no_case_role_no_figures(gov: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.CADRE, gov.d.district))
    assert client.get(KPI).status_code == 403
    assert client.get(f"{KPI}collected/cases/").status_code == 403


def test_unknown_figures_and_bad_filters(gov: Any, boss: Any, login: Any, cases: dict[str, Case]) -> None:
    client = english(login(boss))
    assert client.get(f"{KPI}nonsense/cases/").status_code == 404
    assert client.get(f"{KPI}?department=999999").status_code == 404
    assert client.get(f"{KPI}?department={gov.d.town_a.pk}").status_code == 404  # not a department
    response = client.get(f"{KPI}?period=custom&start=2025-05-01&end=2025-04-01")
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()
    assert response.context["period"].kind == "month"
    response = client.get(f"{KPI}?period=custom&start=2025-05-01")
    assert "Give both dates of the custom period." in response.content.decode()
    assert client.get(f"{KPI}?period=month&on=not-a-date").status_code == 200
    assert client.get(f"{KPI}?level=7").status_code == 200


def test_the_period_picker(gov: Any, boss: Any, login: Any, cases: dict[str, Case]) -> None:
    client = login(boss)
    today = timezone.localdate()
    for period in ("month", "quarter", "year"):
        response = client.get(f"{KPI}?period={period}")
        assert response.context["period"] == kpis.Period.of(period, today)
    last_year = client.get(f"{KPI}?period=year&on={today.year - 1}-06-01")
    assert last_year.context["funnel"][0].value == 0
    custom = client.get(f"{KPI}?period=custom&start={today.year - 1}-01-01&end={today.isoformat()}")
    assert custom.context["funnel"][0].value == 4
    assert client.get(f"{KPI}?level=3").context["funnel"][0].value == 2  # held by village centres (村一, 村三)
    town = client.get(f"{KPI}?unit={gov.d.town_a.pk}")
    assert town.context["funnel"][0].value == 2
    assert [line["row"].unit.name for line in town.context["table"]] == ["甲镇", "村一", "村二"]


def test_the_kpi_table_exports_and_is_audited(gov: Any, boss: Any, login: Any, cases: dict[str, Case]) -> None:
    response = english(login(boss)).get(f"{KPI}export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Unit" and rows[1][1] == "Collected"
    assert rows[2][0] == "Total" and rows[2][1] == 4
    assert {r[0] for r in rows[3:]} == {"测试区 (itself)", "甲镇", "乙镇"}
    audit = AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).get()
    assert audit.note == "cases.kpi" and audit.actor_id == boss.pk


def test_a_figures_cases_export_and_are_audited(gov: Any, boss: Any, login: Any, cases: dict[str, Case]) -> None:
    client = login(boss)
    response = client.get(reverse("cases:kpi_cases_export", args=["collected"]) + f"?unit={gov.d.town_a.pk}")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    codes = {r[0] for r in rows[3:]}
    assert codes == {cases["village"].tracking_code, cases["town"].tracking_code}
    assert "13812345678" not in str(rows)  # no reporter data in the export
    dispatches = client.get(reverse("cases:kpi_cases_export", args=["dispatches"]))
    rows = list(load_workbook(io.BytesIO(dispatches.content)).active.iter_rows(values_only=True))
    assert {r[12] for r in rows[3:]} == {"司法局", "城管局"}
    notes = list(AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).values_list("note", flat=True))
    assert sorted(notes) == ["cases.kpi.collected", "cases.kpi.dispatches"]


def test_the_lists_page_by_keyset_newest_first(gov: Any, boss: Any, login: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("mofan.cases.views_kpi.PAGE_SIZE", 2)
    made = [report(gov) for _ in range(5)]
    client = login(boss)
    first = client.get(f"{KPI}collected/cases/")
    page = first.context["page"]
    assert [c.pk for c in page.items] == [made[4].pk, made[3].pk] and page.total == 5
    second = client.get(f"{KPI}collected/cases/?after={page.next_after}")
    assert [c.pk for c in second.context["page"].items] == [made[2].pk, made[1].pk]


def test_filters_not_understood_are_said_and_left_out(gov: Any, boss: Any, login: Any) -> None:
    client = english(login(boss))
    response = client.get(f"{KPI}?level=7&period=month")
    assert "Some filters were not understood" in response.content.decode()
    assert response.context["filters"].scope.level is None

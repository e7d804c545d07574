"""Issue 9, defect 6: a case whose title holds a control character exports with the KPI figures' cases (the
xlsx export was a 500: openpyxl's IllegalCharacterError); the character is stripped, a formula neutralised."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mofan.accounts.roles import Role
from mofan.cases.models import Case
from mofan.cases.tests.ops_factory import report

pytestmark = pytest.mark.django_db


def test_a_case_titled_with_a_control_character_exports(gov: Any, make_user: Any, login: Any) -> None:
    boss = make_user(Role.CENTRE_OPERATOR, gov.d.district, username="op_whole_district")
    control, formula = report(gov), report(gov, gov.d.village_b1)
    # Written directly: the forms and the API may refuse the title at input; the export holds what is stored.
    Case.objects.filter(pk=control.pk).update(title="标题\x0b控制符")
    Case.objects.filter(pk=formula.pk).update(title="@SUM(1+1)*cmd|' /C calc'!A0")
    response = login(boss).get(reverse("cases:kpi_cases_export", args=["collected"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    titles = {r[0].value: r[1] for r in sheet.iter_rows(min_row=4)}
    assert titles[control.tracking_code].value == "标题控制符"
    assert titles[formula.tracking_code].value == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert titles[formula.tracking_code].data_type == "s"  # a string cell, never a formula

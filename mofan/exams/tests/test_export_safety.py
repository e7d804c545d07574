"""Issue 9, defect 10: the 未完成名单 xlsx wrote its title line as a live formula when the paper's title
started with "="; the title line is a text cell now, quoted, like every other cell (``core.exports``)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from mofan.exams.tests.conftest import add_questions
from mofan.exams.tests.test_views import open_paper

pytestmark = pytest.mark.django_db


def test_the_unfinished_list_title_line_is_never_a_formula(district: Any, secretary: Any, bank: Any,
                                                            make_learner: Any, login: Any, reauth: Any) -> None:
    title = '=HYPERLINK("http://evil.example","点这里")'
    paper = open_paper(secretary, district.town_a, add_questions(bank, 1), title=title)
    make_learner(district.village_a1, name="=1+1")
    response = reauth(login(secretary)).get(f"/learning/exams/manage/{paper.pk}/unfinished.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    title_cell = sheet.cell(row=1, column=1)
    assert title_cell.data_type == "s" and title_cell.value.startswith("'" + title)
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert sheet.cell(row=3, column=1).value == "'=1+1"

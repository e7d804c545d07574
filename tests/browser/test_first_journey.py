"""The first journey: a town-level system administrator signs in, browses the tree and imports people.

Selectors use URLs, names from the demo data and form field names, not interface wording, so the journey holds
in Chinese and in English.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from mofan.core.identity import id_number_check_digit
from mofan.core.masking import mask_id_number
from tests.browser.journey import sign_in

pytestmark = pytest.mark.browser

TOWN = "新华街道"


def id_number(seq: int) -> str:
    first17 = f"15099919900101{seq:03d}"
    return first17 + id_number_check_digit(first17)


def filled_people_template(template: Path, rows: list[list[str]]) -> bytes:
    """The downloaded template with rows written under its header row, as a user would fill it."""
    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    header_row = next(
        cell.row for row in sheet.iter_rows() for cell in row if cell.value == "姓名"
    )
    headers = [cell.value for cell in sheet[header_row]]
    for offset, values in enumerate(rows, start=1):
        record = dict(zip(["姓名", "性别", "手机号", "身份证号", "是否党员", "职务", "所属单位"], values, strict=True))
        for column, header in enumerate(headers, start=1):
            sheet.cell(row=header_row + offset, column=column, value=record.get(str(header), ""))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_sign_in_browse_the_tree_and_import_people(page: Any, tmp_path: Path) -> None:
    sign_in(page, "xinhua_xitong")
    assert page.locator("h1").count() == 1

    # Browse: the tree starts at the town; open a community and see its units load over HTMX.
    page.goto("/org/units/")
    assert page.get_by_role("link", name=TOWN, exact=True).count() == 1
    assert page.get_by_text("桥西街道").count() == 0  # another town is out of reach
    closed = page.locator("details:not([open])", has=page.locator(":scope > summary > a", has_text="社区")).first
    community_name = closed.locator(":scope > summary > a").inner_text()
    community = page.locator("details", has=page.locator(":scope > summary > a", has_text=community_name))
    summary = community.locator(":scope > summary")
    summary.click(position={"x": 2, "y": 8})  # the disclosure triangle, not the link
    community.locator(":scope > ul.tree > li > a, :scope > ul.tree > li > details").first.wait_for()
    assert community.locator(":scope > ul.tree").get_by_text("党支部").count() >= 1
    summary.locator("a").click()
    page.wait_for_url("**/org/units/*/")
    assert community_name in page.locator("h1").inner_text()
    community_path = f"{TOWN}/{community_name}"

    # Import: download the people template, fill it in, upload it once with a bad row, then corrected.
    page.goto("/org/import/")
    with page.expect_download() as download_info:
        page.click("a[href$='/org/import/template/people.xlsx']")
    template = tmp_path / "people.xlsx"
    download_info.value.save_as(template)

    good = ["王晓燕", "女", "13912345678", id_number(2), "是", "网格员", community_path]
    bad = ["李建国", "男", "12345", id_number(3), "否", "志愿者", community_path]
    upload = tmp_path / "upload.xlsx"
    upload.write_bytes(filled_people_template(template, [good, bad]))
    page.check("input[name=kind][value=people]")
    page.set_input_files("input[name=file]", str(upload))
    page.click("form.stacked button[type=submit]")
    report = page.locator("table.error-report")
    report.wait_for()
    assert "手机号" in report.inner_text()
    page.goto("/org/people/?q=王晓燕")
    assert page.locator("text=王晓燕").count() == 0  # all or nothing: the good row was not imported either

    bad[2] = "13812345678"
    upload.write_bytes(filled_people_template(template, [good, bad]))
    page.goto("/org/import/")
    page.check("input[name=kind][value=people]")
    page.set_input_files("input[name=file]", str(upload))
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("ul.messages li")
    assert page.locator("table.error-report").count() == 0

    page.goto("/org/people/?q=王晓燕")
    row = page.locator("tr", has_text="王晓燕")
    assert row.count() == 1
    assert mask_id_number(good[3]) in row.inner_text() and good[3] not in row.inner_text()  # ID masked
    page.goto("/org/people/?q=李建国")
    assert page.locator("tr", has_text="李建国").count() == 1

"""The test journey: a party member of 区委政法委 takes the timed 政策法规知识测试 of the demo, loses the connection
half-way (the page says the answer is not saved and keeps it), comes back, reloads (the answers are still there),
submits and sees the result; then the organ's branch secretary downloads who has not finished.

Selectors use URLs, ``data-`` attributes and demo names, not interface wording, except the save state the
member is meant to read ("已保存" / "未保存，正在重试").
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from mofan.exams.demo import POLICY
from tests.browser.journey import confirm_identity, sign_in

pytestmark = pytest.mark.browser

MEMBER, CADRE, SECRETARY = "dangyuan", "ganbu", "shuji"


def choice_questions(page: Any) -> list[Any]:
    boxes = page.locator("fieldset.question[data-qtype=single], fieldset.question[data-qtype=judge]")
    return [boxes.nth(i) for i in range(boxes.count())]


def answer(box: Any) -> str:
    option = box.locator("input[type=radio]").nth(1)
    option.check()
    return str(option.get_attribute("value"))


def state_of(box: Any) -> Any:
    return box.locator(".save-state")


def test_a_member_takes_a_timed_test_through_a_dropped_connection(page: Any) -> None:
    sign_in(page, MEMBER)
    page.goto("/learning/exams/")
    page.locator("table.my-tests").first.get_by_role("link", name=POLICY).click()
    page.click("button[data-action=start]")
    page.wait_for_url("**/learning/exams/attempts/*/")
    attempt_url = page.url
    countdown = page.locator("#countdown")
    page.wait_for_function("document.getElementById('countdown').textContent !== '--:--'")
    assert countdown.inner_text().count(":") >= 1 and countdown.inner_text() != "00:00"

    boxes = choice_questions(page)
    assert len(boxes) >= 4
    given = {}
    for box in boxes[:2]:
        given[box.get_attribute("data-question")] = answer(box)
        page.wait_for_function("el => el.dataset.state === 'saved'", arg=state_of(box).element_handle())
        assert state_of(box).inner_text() == "已保存"

    # The connection drops: the next answer stays on the page, marked as not saved.
    page.context.set_offline(True)
    offline_box = boxes[2]
    given[offline_box.get_attribute("data-question")] = answer(offline_box)
    page.wait_for_function("el => el.textContent.includes('未保存')", arg=state_of(offline_box).element_handle())
    assert state_of(offline_box).inner_text() == "未保存，正在重试"
    assert page.locator("#connection").is_visible()

    # Back online: the page sends it by itself.
    page.context.set_offline(False)
    page.wait_for_function("el => el.dataset.state === 'saved'", arg=state_of(offline_box).element_handle(),
                           timeout=15000)

    # A reload resumes the same attempt with every answer given.
    page.reload()
    assert page.url == attempt_url
    for qid, value in given.items():
        assert page.locator(f"fieldset[data-question='{qid}'] input[type=radio][value='{value}']").is_checked()

    page.click("#submit-exam")
    page.wait_for_url("**/result/")
    assert page.locator("#result").get_attribute("data-state") == "marked"
    assert page.locator("#score").inner_text().strip()
    assert page.locator("[data-passed]").count() == 1
    page.click("form[action$='/accounts/logout/'] button[type=submit]")
    page.wait_for_load_state()

    # The branch secretary exports who has not finished: the member is no longer on it, the cadre still is.
    sign_in(page, SECRETARY)
    page.goto("/learning/exams/manage/")
    page.get_by_role("link", name=POLICY).click()
    page.wait_for_url("**/learning/exams/manage/*/")
    page.click("a[data-action=export-unfinished]")
    download = confirm_identity(page, SECRETARY, download=True)  # names leave as a file: the password again first
    workbook = load_workbook(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[0] == "姓名")
    accounts = {r[2] for r in rows[header + 1:]}
    assert CADRE in accounts and MEMBER not in accounts
    assert rows[header] == ["姓名", "支部", "账号", "状态"]

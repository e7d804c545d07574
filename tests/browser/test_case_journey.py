"""The case journey: one report from the public form through triage, 吹哨, 报到, 办结反馈, 核查 and 回访 to closed.

A citizen reports on the public page and follows the status page; 新华街道's centre operator (shouli) accepts
the case and summons 城关市场监督管理所; its handler (chuzhi) checks in and reports the result; the operator
verifies it, calls the reporter back and the case is closed. The status page says so at the end.

Selectors use URLs, form field names, ``data-`` attributes and names from the demo data, not interface
wording, so the journey holds in Chinese and in English.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.journey import confirm_identity, sign_in

pytestmark = pytest.mark.browser

TOWN = "新华街道"
DEPARTMENT = "城关市场监督管理所"  # chuzhi's unit, a district department the township can summon
PHONE = "13904711234"


def sign_out(page: Any) -> None:
    page.click("form[action$='/accounts/logout/'] button[type=submit]")
    page.wait_for_load_state()


def open_from_queue(page: Any, queue: str, code: str) -> None:
    """Find the case in a workbench queue by its tracking code, with its due marker, and open it."""
    page.goto(f"/cases/?queue={queue}&q={code}")
    row = page.locator("tr.case-row", has_text=code)
    assert row.count() == 1, f"{code} is not in the queue {queue}"
    assert row.locator(".badge.due").inner_text().strip()  # the due marker says it in words
    row.get_by_role("link", name=code).click()
    page.wait_for_url("**/cases/*/")


def operate(page: Any, name: str, fill: dict[str, str] | None = None) -> None:
    """Open one operation of the case page's panel, fill it in and send it."""
    operation = page.locator(f"details[data-operation={name}]").first
    operation.locator("summary").click()
    for field, value in (fill or {}).items():
        target = operation.locator(f"[name={field}]")
        if target.evaluate("el => el.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    with page.expect_navigation():
        operation.locator("button[type=submit]").click()


def state(page: Any) -> str:
    return str(page.locator(".case-state").get_attribute("data-state"))


def test_a_public_report_travels_to_closed(page: Any) -> None:
    # A citizen reports a problem on the public form (no account) and gets a tracking code.
    page.goto("/cases/report/")
    page.select_option("select[name=town]", label=TOWN)
    page.fill("textarea[name=description]", "人民路农贸市场东门的几家水果摊电子秤不准，买三斤称成四斤，好几个老人都吃了亏。")
    page.fill("input[name=address]", "人民路农贸市场东门")
    page.fill("input[name=reporter_name]", "赵桂兰")
    page.fill("input[name=reporter_phone]", PHONE)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/cases/report/done/")
    code = page.locator("#tracking-code").inner_text().strip()
    assert code.startswith("MF")

    page.goto(f"/cases/track/{code}/")
    assert "ok" not in (page.locator("#public-state").get_attribute("class") or "")  # not closed yet
    assert PHONE not in page.content() and "赵桂兰" not in page.content()  # no personal data in public

    # 受理 and 吹哨: the township centre's operator.
    sign_in(page, "shouli")
    open_from_queue(page, "to_accept", code)
    assert state(page) == "collected"
    content = page.content()
    assert "139****1234" in content and PHONE not in content  # the reporter is masked until asked for
    operate(page, "accept", {"note": "情况属实，受理。"})
    assert state(page) == "accepted"
    operation = page.locator("details[data-operation=summon]")
    operation.locator("summary").click()
    operation.locator("label", has_text=DEPARTMENT).locator("input[type=checkbox]").check()
    operation.locator("[name=note]").fill("请城关市场监督管理所到场核查计量器具。")
    with page.expect_navigation():
        operation.locator("button[type=submit]").click()
    assert state(page) == "dispatched"
    assert page.locator("table.dispatches tr", has_text=DEPARTMENT).count() == 1
    sign_out(page)

    # 报到 and 办结反馈: the summoned department's handler.
    sign_in(page, "chuzhi")
    open_from_queue(page, "to_check_in", code)
    assert PHONE not in page.content()
    operate(page, "check_in", {"note": "已到现场。"})
    assert page.locator("table.dispatches tr", has_text=DEPARTMENT).locator("td").nth(3).inner_text() != "—"
    operate(page, "feedback", {"result": "已对东门水果摊的电子秤逐一检定，查处不合格电子秤3台并责令停用，商户已更换合格计量器具。"})
    assert state(page) == "handled"  # every department has reported back
    sign_out(page)

    # 核查 and 回访: the centre again; the case closes.
    sign_in(page, "shouli")
    open_from_queue(page, "to_verify", code)
    operate(page, "verify", {"note": "现场查看，已整改到位。"})
    assert state(page) == "verified"
    page.locator("#reporter button[type=submit]").click()  # the reporter's phone, to call back (audited)
    confirm_identity(page, "shouli")  # unmasking needs the password again (issue 9), then 继续: it is shown
    page.locator("#reporter.revealed").wait_for()
    assert PHONE in page.locator("#reporter").inner_text()
    operate(page, "callback", {"satisfaction": "satisfied", "solved": "1", "note": "电话回访，群众满意。"})
    assert state(page) == "closed"
    actions = page.locator("ol.timeline > li").evaluate_all("items => items.map(li => li.dataset.action)")
    assert [a for a in actions if a != "remind"] == ["collect", "accept", "summon", "check_in", "feedback",
                                                      "complete", "verify", "callback"]
    sign_out(page)

    # The public status page says it is closed.
    page.goto(f"/cases/track/{code}/")
    assert "ok" in (page.locator("#public-state").get_attribute("class") or "")

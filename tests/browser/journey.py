"""What every browser journey does: sign in to the demo district.

An administrator meets the compulsory second factor (mofan.twofactor): at the first sign-in the journey
enrolls as a person would, reading the key off the page into its "authenticator" (the TOTP function); later
sign-ins give the code of the next unused time step."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlparse

from mofan.demo.district import DEMO_PASSWORD
from mofan.twofactor import totp

ENROLL = "/accounts/2fa/"
REAUTH = "/accounts/reauth/"
RESUME = "/accounts/reauth/resume/"
VERIFY = "/accounts/2fa/verify/"
_secrets: dict[str, str] = {}  # the journey's authenticator app: the key of each account it enrolled
_last_step: dict[str, int] = {}


def _code(username: str) -> str:
    """The app's code; a step already used is refused (no replay), so wait for the next one when needed."""
    step = max(totp.time_step(), _last_step.get(username, -1) + 1)
    while step > totp.time_step() + 1:
        time.sleep(1)
    _last_step[username] = step
    return totp.code_at(_secrets[username], step * totp.STEP_SECONDS)


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path != "/accounts/login/")
    path = urlparse(page.url).path
    if path == ENROLL:
        _secrets[username] = page.inner_text("#totp-secret").replace(" ", "")
        page.fill("input[name=code]", _code(username))
        page.click("form.stacked button[type=submit]")
        page.locator("#recovery-codes").wait_for()
        page.goto("/")
    elif path == VERIFY:
        page.fill("input[name=code]", _code(username))
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(lambda url: not urlparse(url).path.startswith(ENROLL))
    page.wait_for_url("**/")


def confirm_identity(page: Any, username: str, password: str = DEMO_PASSWORD, *, download: bool = False) -> Any:
    """The re-authentication page a sensitive action leads to (unmasking, an export of personal data, a role
    grant): the password again, and the authenticator's code when the account has one. Back on the page the
    action came from (or, for an export, the file: returned when ``download``); an interrupted POST (a form, a
    reveal button) is sent on with what was typed, by the 继续 button of the page that follows."""
    page.wait_for_url(lambda url: urlparse(url).path == REAUTH)
    page.fill("input[name=password]", password)
    if page.locator("input[name=code]").count():
        page.fill("input[name=code]", _code(username))
    if download:
        with page.expect_download() as download_info:
            page.click("form.stacked button[type=submit]")
        return download_info.value
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path != REAUTH)
    if urlparse(page.url).path == RESUME:  # an interrupted form or button: what was typed is sent on (继续)
        page.click("#resume button[type=submit]")
        page.wait_for_url(lambda url: urlparse(url).path != RESUME)
    return None

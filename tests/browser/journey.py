"""What every browser journey does: sign in to the demo district."""

from __future__ import annotations

from typing import Any

from mofan.demo.district import DEMO_PASSWORD


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/")

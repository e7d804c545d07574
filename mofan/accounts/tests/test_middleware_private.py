"""剩余信息保护: what a signed-in person was shown is not left in the browser's or a proxy's cache after they
sign out (an intranet PC is often shared): every response to a signed-in session says ``no-store, private``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from mofan.accounts.checks import check_level3_controls
from mofan.accounts.roles import Role

pytestmark = pytest.mark.django_db


def cache_control(response: Any) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("path", ["core:home", "org:person_list", "/api/people/", "/api/audit/"])
def test_signed_in_pages_and_api_are_never_stored(district: Any, make_user: Any, login: Any, path: str) -> None:
    client = login(make_user(Role.CADRE, district.district))
    response = client.get(path if path.startswith("/") else reverse(path))
    assert response.status_code in (200, 403)
    assert {"no-store", "private"} <= cache_control(response)


def test_check_deploy_fails_without_the_middleware() -> None:
    from django.conf import settings

    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if not m.endswith("PrivateResponseMiddleware")]):
        assert "mofan.E025" in {e.id for e in check_level3_controls()}

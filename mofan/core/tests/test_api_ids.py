"""Every API route with an id in its path, walked with ids that are not ids (letters, beyond 64 bits, huge,
a float): each answers 4xx, never a server error (issue 9, defect 9)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver

from mofan.accounts.middleware import LAST_SEEN
from mofan.accounts.roles import Role
from mofan.config.api_urls import urlpatterns as api_urlpatterns
from mofan.conftest import District

BAD_IDS = ["1e30", str(2**64), str(2**63), "9" * 5000]  # letters, beyond 64 bits, beyond int()
METHODS = ["get", "post", "put", "patch", "delete"]


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + _source(entry))
        elif isinstance(entry, URLPattern):
            yield prefix + _source(entry)


def _source(entry: URLPattern | URLResolver) -> str:
    pattern: Any = entry.pattern
    return getattr(pattern, "_route", None) or pattern._regex


def _fill(source: str, value: str, root: str = "/api/") -> str | None:
    """The path of a route or regex with every parameter replaced by ``value``; None for format suffixes and
    routes without a parameter."""
    if "format" in source:
        return None
    out, i, found = [], 0, False
    while i < len(source):
        if source.startswith("(?P<", i):  # a named regex group, possibly with parentheses inside
            depth, j = 0, i
            while j < len(source):
                depth += {"(": 1, ")": -1}.get(source[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append(value)
            i, found = j + 1, True
        elif source[i] == "<":  # a path converter
            j = source.index(">", i)
            out.append(value)
            i, found = j + 1, True
        else:
            out.append(source[i])
            i += 1
    if not found:
        return None
    path = "".join(out).replace("^", "").replace("$", "").replace("\\", "")
    return root + re.sub(r"/\?$", "/", path)


def api_paths_with_ids(value: str) -> list[str]:
    paths = {_fill(source, value) for source in _patterns(api_urlpatterns)}
    return sorted(p for p in paths if p)


def test_the_walk_covers_the_routers_and_the_plain_routes() -> None:
    paths = api_paths_with_ids("abc")
    assert "/api/learning/materials/abc/" in paths
    assert "/api/case-ops/abc/summon/" in paths
    assert "/api/learning/books/abc/borrow/" in paths
    assert len(paths) > 40


def _signed_in(user: Any) -> Client:
    """A session past every gate (idle check, second factor, recent re-authentication), so that the walk reaches
    the views themselves."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    session = client.session
    now = time.time()
    session.update({LAST_SEEN: now, "mofan_2fa_at": now, "mofan_2fa_how": "totp", "mofan_reauth_at": now})
    session.save()
    return client


@pytest.mark.django_db
def test_no_api_route_fails_on_an_id_out_of_range(district: District, make_user: Any) -> None:
    users = [
        make_user(Role.SYSTEM_ADMIN, district.district),
        make_user(Role.CENTRE_OPERATOR, district.district),
    ]
    failures = []
    for user in users:
        client = _signed_in(user)
        for value in BAD_IDS:
            for path in api_paths_with_ids(value):
                for method in METHODS:
                    response = getattr(client, method)(path, {}, content_type="application/json")
                    if response.status_code >= 500:
                        failures.append(f"{user.username} {method.upper()} {path} → {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_no_page_fails_on_an_id_out_of_range(district: District, make_user: Any) -> None:
    """The pages too: every route of the site (pages, Open311, the API again), GET and POST."""
    from mofan.config.urls import urlpatterns as site_urlpatterns

    failures = []
    for user in (make_user(Role.SYSTEM_ADMIN, district.district), make_user(Role.CENTRE_OPERATOR, district.district)):
        client = _signed_in(user)
        for value in BAD_IDS:
            paths = {_fill(source, value, root="/") for source in _patterns(site_urlpatterns)}
            for path in sorted(p for p in paths if p and not p.startswith("/api/")):
                for method in ("get", "post"):
                    response = getattr(client, method)(path)
                    if response.status_code >= 500:
                        failures.append(f"{user.username} {method.upper()} {path} → {response.status_code}")
    assert not failures, "\n".join(failures)


QUERY_VALUES = [("after", str(2**64)), ("before", str(2**63)), ("after", "9" * 5000), ("area", str(2**64)),
                ("category", str(2**64)), ("unit", str(2**64)), ("year", str(2**64)), ("difficulty", str(2**64)),
                ("q", "x" * 100_000), ("search", "x" * 100_000), ("object", "x" * 100_000), ("tag", "x" * 100_000)]


@pytest.mark.django_db
def test_no_api_list_fails_on_a_query_parameter_out_of_range(district: District, make_user: Any) -> None:
    """Every API route without an id, read with filters out of range: ids beyond 64 bits, a search of 100,000
    characters (SQLite refuses a LIKE pattern over 50,000 bytes)."""
    lists = sorted({"/api/" + source.replace("^", "").replace("$", "") for source in _patterns(api_urlpatterns)
                    if "<" not in source and "(?P" not in source and "format" not in source})
    failures = []
    for role in (Role.SYSTEM_ADMIN, Role.CENTRE_OPERATOR, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        user = make_user(role, district.district)
        client = _signed_in(user)
        for path in lists:
            for name, value in QUERY_VALUES:
                response = client.get(path, {name: value})
                if response.status_code >= 500:
                    failures.append(f"{role} GET {path}?{name}={value[:20]} → {response.status_code}")
    assert not failures, "\n".join(failures)

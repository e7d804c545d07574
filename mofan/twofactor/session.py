"""What the session records about the second factor: when and how it was verified.

``mark_verified`` after a correct code (sign-in step, enrollment, re-authentication); ``is_verified`` tells
whether this session has passed the second factor at all; ``verified_at`` when it last did (for
re-authentication before sensitive actions)."""

from __future__ import annotations

import time

from django.http import HttpRequest

VERIFIED_AT = "mofan_2fa_at"  # seconds since the epoch of the last correct second factor in this session
VERIFIED_HOW = "mofan_2fa_how"  # "totp" or "recovery"
PENDING_USER = "mofan_2fa_pending"  # id of an account whose password was accepted, waiting for its code
PENDING_SINCE = "mofan_2fa_pending_at"
PENDING_NEXT = "mofan_2fa_next"


def mark_verified(request: HttpRequest, how: str = "totp") -> None:
    request.session[VERIFIED_AT] = time.time()
    request.session[VERIFIED_HOW] = how


def is_verified(request: HttpRequest) -> bool:
    return request.session.get(VERIFIED_AT) is not None


def verified_at(request: HttpRequest) -> float | None:
    value = request.session.get(VERIFIED_AT)
    return float(value) if value is not None else None


PENDING_SECONDS = 300  # the code step must follow the password within five minutes


def start_pending(request: HttpRequest, user_id: int, next_url: str = "") -> None:
    """The password was accepted for an account with an authenticator: remember who (not signed in yet).
    A session signed in as someone else is signed out first: the code step then speaks for this account."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from django.contrib.auth import logout

        logout(request)
    request.session.cycle_key()
    request.session[PENDING_USER] = user_id
    request.session[PENDING_SINCE] = time.time()
    request.session[PENDING_NEXT] = next_url


def pending_user_id(request: HttpRequest) -> int | None:
    """The account waiting for its code in this session, or None (none, or waiting too long)."""
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE)
    if user_id is None or since is None:
        return None
    if time.time() - float(since) > PENDING_SECONDS:
        clear_pending(request)
        return None
    return int(user_id)


def pending_next(request: HttpRequest) -> str:
    return str(request.session.get(PENDING_NEXT) or "")


def clear_pending(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)

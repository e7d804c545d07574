from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mofan.accounts.models import User
from mofan.twofactor import services, totp


class Clock:
    """The time the TOTP functions see (the rest of the project keeps the real clock)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def tick(self, steps: int = 1) -> None:
        self.now += steps * totp.STEP_SECONDS


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    c = Clock()
    monkeypatch.setattr(totp, "time", c)
    return c


@pytest.fixture
def enroll(clock: Clock) -> Callable[[User], str]:
    """Enroll an authenticator for ``user`` the way a person does; returns the secret. The clock moves on one
    step, so the next code is a fresh one."""

    def make(user: User) -> str:
        secret = services.enroll_start(user=user)["secret"]
        services.enroll_confirm(user=user, code=totp.code_at(secret))
        clock.tick()
        return secret

    return make

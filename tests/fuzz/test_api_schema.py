"""schemathesis over the whole OpenAPI schema (/api/schema/), in-process through the Django WSGI app, signed in
as an account of each role on a district with data: no operation may answer with a server error (5xx).

Bounded and reproducible: ``MOFAN_FUZZ_EXAMPLES`` (default 5: 12,900 requests over the 10 roles) examples per operation and generation mode (positive and
negative), Hypothesis derandomized, no example database, no shrinking (every 5xx is collected and reported
with the request that caused it and the server's traceback). Path ids are drawn from the primary keys that
exist, so the operations reach real rows, not only 404s.

The requests run inside the test's transaction on the test's connection (the WSGI handler is called in this
thread, like Django's test Client; the request signals that would close the connection are held off, as the
test Client does)."""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import IntegrityError, close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from mofan.accounts.models import Membership, User
from mofan.accounts.roles import Role
from tests.fuzz.world import World, existing_ids

EXAMPLES = int(os.environ.get("MOFAN_FUZZ_EXAMPLES", "5"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CSRF_SECRET = secrets.token_hex(16)  # 32 characters: Django accepts an unmasked secret in the header


@dataclass
class Tally:
    requests: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # role → class → n
    server_errors: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The project's WSGI application, with the connection-closing request signals held off (as Django's test
    Client does) so that every request runs on this test's connection and transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def exceptions() -> Iterator[list[str]]:
    """The tracebacks of the exceptions the handler turned into 500s, in order."""
    seen: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        seen.append(traceback.format_exc())

    signals.got_request_exception.connect(record)
    try:
        yield seen
    finally:
        signals.got_request_exception.disconnect(record)


class Account:
    """Signs ``user`` in the way the suite's ``login`` fixture does (second factor passed, fresh activity) and
    puts the account back on its feet between operations: the fuzzer may deactivate, lock, reset or revoke it."""

    def __init__(self, user: User, login: Callable[[User], Any], role: str) -> None:
        self.user, self.login, self.role = user, login, role
        self.memberships = list(Membership.objects.filter(user=user).values("unit_id", "role"))
        self.cookies: dict[str, str] = {}

    def refresh(self) -> None:
        # An earlier role may have reset this account's password (a forced change) or locked it.
        User.objects.filter(pk=self.user.pk).update(is_active=True, must_change_password=False, locked_until=None)
        self.user.refresh_from_db()
        for m in self.memberships:
            if not Membership.objects.filter(user=self.user, unit_id=m["unit_id"], role=m["role"]).exists():
                with contextlib.suppress(IntegrityError), transaction.atomic():
                    Membership.objects.create(user=self.user, unit_id=m["unit_id"], role=m["role"])
        client = self.login(self.user)
        self.cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
                        settings.CSRF_COOKIE_NAME: CSRF_SECRET}


def id_parameters(operation: Any) -> list[str]:
    """The path parameters that name a row (integer ids)."""
    names = []
    for parameter in operation.path_parameters:
        kind = parameter.definition.get("schema", {}).get("type")
        if kind == "integer" or parameter.name in {"id", "pk"} or parameter.name.endswith("_pk"):
            names.append(parameter.name)
    return names


def _collector(strategy: Any, mode: GenerationMode, cases: list[tuple[GenerationMode, Any]]) -> Callable[[], None]:
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def collect(case: Any) -> None:
        cases.append((mode, case))

    return collect


def generate(operation: Any, unsatisfiable: list[str]) -> list[tuple[GenerationMode, Any]]:
    """``EXAMPLES`` cases of each generation mode for ``operation``, the same on every run."""
    cases: list[tuple[GenerationMode, Any]] = []
    for mode in MODES:
        try:
            _collector(operation.as_strategy(generation_mode=mode), mode, cases)()
        except Unsatisfiable:
            unsatisfiable.append(f"{operation.method.upper()} {operation.path} ({mode.value})")
    return cases


def send(case: Any, mode: Any, account: Account, ids: list[int], rng: random.Random, tally: Tally,
         exceptions: list[str]) -> None:
    """Send ``case`` as ``account``, its id parameters mostly replaced by existing primary keys."""
    original = dict(case.path_parameters or {})
    for name in id_parameters(case.operation):
        if ids and rng.random() < 0.75:
            case.path_parameters[name] = rng.choice(ids)
    before = len(exceptions)
    try:
        response = case.call(headers={"X-CSRFToken": CSRF_SECRET}, cookies=account.cookies)
    finally:
        sent = dict(case.path_parameters or {})
        if case.path_parameters is not None:
            case.path_parameters.clear()
            case.path_parameters.update(original)
    tally.requests[account.role][f"{response.status_code // 100}xx"] += 1
    if response.status_code >= 500:
        trace = exceptions[before] if len(exceptions) > before else response.text[:500]
        tally.server_errors.append(
            f"{account.role} {mode.value} {case.method.upper()} {case.path} {sent} → {response.status_code}\n"
            f"query={case.query!r} body={case.body!r}\n{trace}")


def test_no_server_error_over_the_whole_schema(
    make_user: Any, make_learner: Any, login: Any, wsgi_app: Any, exceptions: list[str], capsys: Any,
) -> None:
    world = World(make_user, make_learner)

    def say(line: str) -> None:
        """Shown in the test run's output even when it passes (the request counts per role)."""
        with capsys.disabled():
            print(line)

    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"The OpenAPI schema has an invalid operation: {result.err()}")
        operations.append(result.ok())
    tally = Tally()
    started = time.monotonic()
    cases = [(operation, generate(operation, tally.unsatisfiable)) for operation in operations]
    generated = sum(len(c) for _, c in cases)
    say(f"\n[fuzz] {len(operations)} operations, {generated} cases generated in {time.monotonic() - started:.1f}s"
          + (f"; unsatisfiable: {', '.join(tally.unsatisfiable)}" if tally.unsatisfiable else ""))
    ids = existing_ids()
    rng = random.Random(2026)  # noqa: S311 - a reproducible choice of ids, not a secret
    for role in Role:
        started = time.monotonic()
        with transaction.atomic():  # each role fuzzes the same district: what it changed is rolled back
            account = Account(world.accounts[role], login, role)
            for _operation, operation_cases in cases:
                account.refresh()
                for mode, case in operation_cases:
                    send(case, mode, account, ids, rng, tally, exceptions)
            transaction.set_rollback(True)
        counts = tally.requests[role]
        say(f"[fuzz] {role}: {sum(counts.values())} requests "
              f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}) in {time.monotonic() - started:.1f}s")
    total = sum(sum(c.values()) for c in tally.requests.values())
    say(f"[fuzz] {total} requests in all, {len(tally.server_errors)} server errors")
    assert len(operations) > 100 and generated >= len(operations) * 2
    assert not tally.server_errors, f"{len(tally.server_errors)} server errors:\n\n" + "\n\n".join(
        tally.server_errors)

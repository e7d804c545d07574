"""What the HMAC-SM3 chain of the audit trail costs (docs/adr/0013-chain-the-audit-trail-with-hmac-sm3.md).

The trail holds ``scale`` records (written through ``audit_record``, so they are chained; kept and reused).
Figures (median and p95 of the runs after a warm-up; queries per operation):

- ``audit_record``: one ``audit.services.audit_record`` in its own transaction, as a service writes it: the
  head locked and advanced (UPDATE … RETURNING), the mac computed, the INSERT, the head's mac stored;
- ``audit_record_rolled_back``: the same, rolled back instead of committed (no commit to wait for), and
- ``plain_insert``: the same record as a bare INSERT (what a record cost before the chain), rolled back: the
  difference between these two is what the chain adds to a write;
- ``seal``: the HMAC-SM3 of one record alone (no database);
- ``concurrent_per_s``: records a second with ``THREADS`` writers at once, each in its own connection and
  transaction (they queue on the chain head); the chain is verified afterwards and must be intact;
- ``verify_ms`` and ``verify_per_s``: ``mofan audit verify``'s walk over the whole trail, and its rate.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import connection, transaction

from bench.runner import measure
from mofan.audit import chain
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.services import audit_record, chain_verify

DEFAULT_SCALE = 10_000
REPEAT = 200
THREADS = 4
PER_THREAD = 100
NEW = {"name": "基准用户", "units": [1, 2, 3], "phone": "138****5678"}


def _record(note: str = "bench") -> Any:
    return audit_record(actor=None, actor_name="bench", event=AuditEvent.USER_UPDATED, new=NEW, note=note)


def _generate(scale: int) -> None:
    missing = scale - AuditLog.objects.count()
    with transaction.atomic():
        for i in range(max(0, missing)):
            _record(f"bench {i}")


def _one_record() -> None:
    with transaction.atomic():
        _record()


class _Rollback(Exception):
    pass


def _record_rolled_back() -> None:
    try:
        with transaction.atomic():
            _record()
            raise _Rollback
    except _Rollback:
        pass


def _plain_insert() -> None:
    try:
        with transaction.atomic():
            AuditLog.objects.create(actor_name="bench", event_id=AuditEvent.USER_UPDATED.id,
                                    event_name=AuditEvent.USER_UPDATED.name, new_values=NEW, note="bench",
                                    seq=-1, prev_mac="", mac="0" * 64)
            raise _Rollback
    except _Rollback:
        pass


def _concurrent() -> float:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(PER_THREAD):
                with transaction.atomic():
                    _record("concurrent")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"a concurrent writer failed: {errors[0]!r}")
    return THREADS * PER_THREAD / elapsed


def run(scale: int) -> dict[str, float]:
    _generate(scale)
    row = AuditLog.objects.order_by("-seq").values(*chain.SEALED_FIELDS, "prev_mac").first()
    if row is None:
        raise RuntimeError("no audit record to seal")
    metrics: dict[str, float] = {}
    metrics |= measure(_one_record, repeat=REPEAT).metrics("audit_record")
    metrics |= measure(_record_rolled_back, repeat=REPEAT).metrics("audit_record_rolled_back")
    metrics |= measure(_plain_insert, repeat=REPEAT).metrics("plain_insert")
    seal = measure(lambda: chain.seal(row, row["prev_mac"]), repeat=REPEAT)
    metrics["seal_ms"] = round(seal.median_ms, 4)
    if not connection.in_atomic_block:  # threads need the data committed (the command's run, not the tests')
        metrics["concurrent_per_s"] = round(_concurrent(), 1)
    started = time.perf_counter()
    result = chain_verify()
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise RuntimeError(f"the audit chain is broken after the benchmark: {result}")
    metrics["verify_ms"] = round(elapsed * 1000, 1)
    metrics["verify_per_s"] = round(result.checked / elapsed, 1)
    added = metrics["audit_record_rolled_back_ms"] - metrics["plain_insert_ms"]
    print(f"the chain adds {added:.3f} ms to a record (median, before its commit); "
          f"verified {result.checked} records in {metrics['verify_ms']} ms")
    return metrics

"""The audit trail as a hash chain: each row carries HMAC-SM3(key, canonical form of the row + the mac of
the row before) (docs/adr/0013-chain-the-audit-trail-with-hmac-sm3.md).

The key comes from the environment (``MOFAN_AUDIT_KEY``), never from the database, so whoever can write
to the database but does not hold the key cannot forge a row, nor hide a changed, inserted, reordered or
deleted one: ``verify`` (``mofan audit verify``) finds the first.

The canonical form is frozen (version 1): changing it would break every sealed row. ``seq`` and ``id`` are
not in it; they are checked by position instead (``seq`` gapless, ``id`` increasing along ``seq``), so a
swapped or moved row is reported as reordered rather than altered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.db import connection

CANONICAL_VERSION = "v1"
# The fields of a row that the mac covers, in this order (the canonical form).
SEALED_FIELDS = (
    "at", "actor_id", "actor_name", "ip", "event_id", "event_name", "success", "target_type", "target_id",
    "target_repr", "unit_path", "old_values", "new_values", "note",
)
CHUNK = 2000


@lru_cache(maxsize=4)
def _key(material: str) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"mofan-audit-chain:" + material.encode())
    return digest.finalize()


def _json(value: Any) -> Any:
    """JSON values as the database gives them back (key order and tuples do not matter)."""
    return None if value is None else json.loads(json.dumps(value))


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: dict[str, Any], prev_mac: str) -> bytes:
    """The bytes the mac covers: the sealed fields of one row and the mac of the row before."""
    values = [CANONICAL_VERSION]
    for name in SEALED_FIELDS:
        value = fields[name]
        if name == "at":
            value = _instant(value)
        elif name in ("old_values", "new_values"):
            value = _json(value)
        elif name == "ip":
            value = str(value) if value else None
        values.append(value)
    values.append(prev_mac)
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def seal(fields: dict[str, Any], prev_mac: str, key_material: str | None = None) -> str:
    mac = hmac.HMAC(_key(key_material or settings.MOFAN_AUDIT_KEY), hashes.SM3())
    mac.update(canonical(fields, prev_mac))
    return mac.finalize().hex()


# The head of the chain -----------------------------------------------------------------------------------

HEAD_TABLE = "audit_auditchainhead"


def advance_head() -> tuple[int, str]:
    """Lock the chain head for the rest of the transaction and take the next position: returns (seq, mac of
    the row before). One UPDATE … RETURNING: on PostgreSQL it row-locks the head (a concurrent writer waits
    and then reads the new values), on SQLite the write lock is the database's. Call inside a transaction.

    The position moves past any taken by rows written around the head (a row inserted directly into the
    database): the trail keeps recording after them, linked to the last genuine row, and ``verify`` reports
    them (an index lookup, in the same statement)."""
    greatest = "MAX" if connection.vendor == "sqlite" else "GREATEST"
    sql = (f"UPDATE {HEAD_TABLE} SET seq = {greatest}(seq, (SELECT COALESCE(MAX(seq), 0) FROM audit_auditlog)) + 1 "  # noqa: S608  # nosec B608 # constant table name
           "WHERE id = 1 RETURNING seq, mac")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:  # no head yet (a flushed test database): start it from the last sealed row
            from mofan.audit.models import AuditChainHead, AuditLog

            last = AuditLog.objects.order_by("-seq").values_list("seq", "mac").first() or (0, "")
            AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": last[0] or 0, "mac": last[1]})
            cursor.execute(sql)
            row = cursor.fetchone()
    return int(row[0]), str(row[1])


def lock_head() -> None:
    """Lock the chain head for the rest of the transaction without taking a position."""
    from mofan.audit.models import AuditChainHead

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {HEAD_TABLE} SET seq = seq WHERE id = 1")  # noqa: S608 - constant name  # nosec B608 # constant table name
        if cursor.rowcount == 0:
            AuditChainHead.objects.get_or_create(pk=1)


def store_head(mac: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {HEAD_TABLE} SET mac = %s WHERE id = 1", [mac])  # noqa: S608 - constant name  # nosec B608 # constant table name


# Verifying ------------------------------------------------------------------------------------------------

ALTERED, INSERTED, REORDERED, MISSING = "altered", "inserted", "reordered", "missing"


@dataclass(frozen=True)
class ChainResult:
    ok: bool
    checked: int  # rows walked
    last_seq: int  # the last position walked (0 when none)
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    kind: str = ""  # ALTERED, INSERTED, REORDERED or MISSING
    detail: str = ""  # in English, for logs and the command; pages translate ``kind``


_ROW_FIELDS = ("id", "seq", "prev_mac", "mac", *SEALED_FIELDS)


def _rows() -> Iterator[dict[str, Any]]:
    """Every row in seq order, read by keyset in chunks: constant memory however long the trail."""
    from mofan.audit.models import AuditLog

    after = -1
    while True:
        chunk = list(AuditLog.objects.filter(seq__gt=after).order_by("seq").values(*_ROW_FIELDS)[:CHUNK])
        yield from chunk
        if len(chunk) < CHUNK:
            return
        after = chunk[-1]["seq"]


def _mac_exists(mac: str) -> bool:
    from mofan.audit.models import AuditLog

    return bool(mac) and AuditLog.objects.filter(mac=mac).exists()


def verify(key_material: str | None = None) -> ChainResult:
    """Walk the chain in seq order and report the first row that is not as it was written.

    - a gap in ``seq``, or rows missing at the end (the head is further): ``missing``;
    - ``id`` not increasing along ``seq``: ``reordered``;
    - a row whose mac does not match its content: ``inserted`` when the next row links over it to the row
      before (or it lies beyond the head), else ``altered``;
    - a sound row that does not link to the row before: ``reordered`` when the mac it links to is in the
      table elsewhere, else ``missing`` (a row was deleted and the later ones renumbered).
    The chain starts after the rows purged at the end of the retention period (the head's ``purged_through``
    and ``purged_mac``).
    """
    from mofan.audit.models import AuditChainHead

    head = AuditChainHead.objects.filter(pk=1).values("seq", "mac", "purged_through", "purged_mac").first() or {
        "seq": 0, "mac": "", "purged_through": 0, "purged_mac": ""}
    expected_seq = head["purged_through"] + 1
    expected_prev = head["purged_mac"]
    prev_id: int | None = None
    checked = 0
    pending: dict[str, Any] | None = None  # a row with a bad mac, waiting for the next row to classify it

    def bad(kind: str, seq: int, row_id: int | None, detail: str) -> ChainResult:
        return ChainResult(False, checked, expected_seq - 1, seq, row_id, kind, detail)

    def unsound(row: dict[str, Any], kind: str) -> ChainResult:
        return bad(kind, row["seq"], row["id"], f"row seq {row['seq']} (id {row['id']}): its mac does not match")

    for row in _rows():
        if pending is not None:
            return unsound(pending, INSERTED if row["prev_mac"] == expected_prev else ALTERED)
        if row["seq"] < expected_seq:
            return bad(INSERTED, row["seq"], row["id"], f"row seq {row['seq']} lies before the start of the chain")
        if row["seq"] > expected_seq:
            return bad(MISSING, expected_seq, None, f"rows seq {expected_seq} to {row['seq'] - 1} are missing")
        if prev_id is not None and row["id"] <= prev_id:
            return bad(REORDERED, row["seq"], row["id"], f"row seq {row['seq']} has id {row['id']}, not above {prev_id}")
        checked += 1
        if seal(row, row["prev_mac"], key_material) != row["mac"]:
            pending = row
            continue
        if row["prev_mac"] != expected_prev:
            kind = REORDERED if _mac_exists(row["prev_mac"]) else MISSING
            return bad(kind, row["seq"], row["id"], f"row seq {row['seq']} (id {row['id']}) does not follow the row before")
        expected_prev, prev_id = row["mac"], row["id"]
        expected_seq += 1
    if pending is not None:
        return unsound(pending, INSERTED if pending["seq"] > head["seq"] else ALTERED)
    last_seq = expected_seq - 1
    if last_seq < head["seq"]:
        return bad(MISSING, last_seq + 1, None, f"rows seq {last_seq + 1} to {head['seq']} are missing at the end")
    if last_seq > head["seq"]:
        return bad(INSERTED, head["seq"] + 1, None, f"rows beyond the head (seq {head['seq']})")
    if expected_prev != head["mac"]:
        return bad(ALTERED, last_seq, prev_id, "the last row is not the one the head recorded")
    return ChainResult(True, checked, last_seq)

"""Keyset paging for lists that grow to millions of rows.

OFFSET paging and exact counts cost time in proportion to the list; a keyset page (``id > last id seen``)
costs the same on page 1 and page 10,000, and the total is counted only up to ``COUNT_CAP`` ("10,000+").
The queryset must be filterable on ``id``; pages are in ascending id order, or newest first with
``descending=True`` (then ``?after=`` walks towards smaller ids: "after" always means "the next page").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

PAGE_SIZE = 50
COUNT_CAP = 10_000


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_after: int | None  # pass as ?after= to get the next page
    prev_before: int | None  # pass as ?before= to get the previous page
    total: int  # exact when not total_capped, else COUNT_CAP
    total_capped: bool

    @property
    def is_first(self) -> bool:
        return self.prev_before is None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def parse_cursor(value: Any) -> int | None:
    try:
        cursor = int(value)
    except (TypeError, ValueError):
        return None
    return cursor if cursor >= 0 else None


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    counted = queryset.order_by()[: cap + 1].count()
    return (cap, True) if counted > cap else (counted, False)


def keyset_page(
    queryset: QuerySet[Any], *, after: Any = None, before: Any = None, size: int = PAGE_SIZE, count: bool = True,
    descending: bool = False, count_queryset: QuerySet[Any] | None = None,
) -> KeysetPage:
    """A page of ``size`` rows by id after/before a cursor, with the capped count of ``queryset`` — or of
    ``count_queryset``, the same rows written for a counting plan (``accounts.permissions.subtree_q``)."""
    after_id, before_id = parse_cursor(after), parse_cursor(before)
    # Moving forward is id > cursor in ascending order, id < cursor in descending order; backward the reverse.
    forward, backward = ("lt", "gt") if descending else ("gt", "lt")
    forward_order, backward_order = ("-id", "id") if descending else ("id", "-id")
    if before_id is not None:
        rows = list(queryset.filter(**{f"id__{backward}": before_id}).order_by(backward_order)[: size + 1])
        has_prev = len(rows) > size
        items = list(reversed(rows[:size]))
        next_after = items[-1].id if items else None
        prev_before = items[0].id if has_prev and items else None
    else:
        start = queryset.filter(**{f"id__{forward}": after_id}) if after_id is not None else queryset
        rows = list(start.order_by(forward_order)[: size + 1])
        items = rows[:size]
        next_after = items[-1].id if len(rows) > size else None
        prev_before = items[0].id if after_id is not None and items else None
    counted = queryset if count_queryset is None else count_queryset
    total, capped = capped_count(counted) if count else (len(items), False)
    return KeysetPage(items=items, next_after=next_after, prev_before=prev_before, total=total, total_capped=capped)

"""Listing the people of a subtree: what a town-level user waits for on the people page.

The district holds ``2 × scale`` people: one town (基准镇) holds ``scale`` of them in 10 villages, and seven
other towns share as many again, so the listed subtree is half of the table and its rows are interleaved
with the others' (people are registered over time, not town by town). A 中心受理员 of 基准镇 reads
through the real selector ``org.selectors.person_list(actor=..., within=town)`` and ``core.paging.keyset_page``
(page of 50), as the people page does.

Figures (median and p95 of 15 runs after a warm-up; queries per operation, the actor's memberships
included since each request loads them afresh):

- ``list_first_page``: page 1 as the people page and the API read it: a keyset page (``core.paging``) and
  the total counted up to 10,000 ("10,000+");
- ``list_deep_page``: page 1000 (or the last page when there are fewer), read the same way (``id > last id``);
- ``count_capped``: the capped count alone;
- ``offset_deep_page`` and ``exact_count``: what OFFSET paging with an exact count (Django's Paginator)
  would cost instead, for comparison: these grow with the subtree.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.core.paginator import Paginator
from django.db import transaction

from bench.runner import analyze, measure
from mofan.accounts import services as account_services
from mofan.accounts.permissions import clear_cache
from mofan.accounts.roles import Role
from mofan.core import crypto
from mofan.core.identity import id_number_check_digit
from mofan.core.masking import mask_id_number
from mofan.core.paging import PAGE_SIZE, capped_count, keyset_page
from mofan.demo.people import make_mobile, make_name
from mofan.org import selectors
from mofan.org import services as org_services
from mofan.org.models import Gender, Person, Unit, UnitKind

DEFAULT_SCALE = 100_000

DEEP_PAGE = 1000
REPEAT = 15
BATCH = 5_000
TOWNS = 8
VILLAGES_PER_TOWN = 10
REGION = "159999"
ACTOR = "bench_town_operator"
PASSWORD = "Bench@2026-org"  # noqa: S105 - the benchmark actor of a throwaway database
POSTS = ["", "", "", "村民", "居民", "网格员", "志愿者", "楼栋长", "调解员", "党员中心户"]


def _root_name(scale: int) -> str:
    return f"基准区{scale}"


def _id_number(index: int, gender: str) -> str:
    """A valid, unique ID number for the ``index``-th generated person (unique up to 10 million)."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=index % 20_000)
    order = (index // 20_000) * 2 + (1 if gender == Gender.MALE else 0)
    first17 = f"{REGION}{birth:%Y%m%d}{order:03d}"
    return first17 + id_number_check_digit(first17)


def generate(scale: int, log: Any = print) -> None:
    """Build the district and its ``2 × scale`` people in one transaction."""
    rng = random.Random(f"bench-org-{scale}")
    started = time.monotonic()
    with transaction.atomic():
        root = org_services.unit_create(actor=None, name=_root_name(scale), kind=UnitKind.DISTRICT, parent=None,
                                        audit=False)
        villages: list[list[Unit]] = []
        target: Unit | None = None
        for t in range(TOWNS):
            town = org_services.unit_create(actor=None, name="基准镇" if t == 0 else f"第{t}镇", kind=UnitKind.TOWN,
                                            parent=root, audit=False)
            target = target or town
            villages.append([
                org_services.unit_create(actor=None, name=f"{town.name}第{v + 1}村", kind=UnitKind.VILLAGE,
                                         parent=town, audit=False)
                for v in range(VILLAGES_PER_TOWN)
            ])
        # Half of the people live in 基准镇, interleaved with the rest as if registered over time.
        towns = [0] * scale + [1 + i % (TOWNS - 1) for i in range(scale)]
        rng.shuffle(towns)
        total = len(towns)
        for start in range(0, total, BATCH):
            batch = []
            for index in range(start, min(start + BATCH, total)):
                gender = Gender.MALE if rng.random() < 0.52 else Gender.FEMALE
                number = _id_number(index, gender)
                batch.append(Person(
                    name=make_name(rng, gender), gender=gender, phone=make_mobile(rng),
                    id_number_cipher=crypto.encrypt(number), id_number_digest=crypto.blind_index(number),
                    id_number_masked=mask_id_number(number), is_party_member=rng.random() < 0.12,
                    post=rng.choice(POSTS), unit=rng.choice(villages[towns[index]]),
                ))
            Person.objects.bulk_create(batch, batch_size=BATCH)
            done = min(start + BATCH, total)
            if done % 50_000 == 0 or done == total:
                log(f"  {done:,} / {total:,} people ({time.monotonic() - started:.0f} s)")
        user = account_services.user_create(actor=None, username=ACTOR, display_name="基准镇受理员",
                                            password=PASSWORD, unit=target, must_change_password=False)
        account_services.membership_grant(actor=None, user=user, unit=villages[0][0].parent or root,
                                          role=Role.CENTRE_OPERATOR)
    _analyze()
    log(f"generated {total:,} people in {time.monotonic() - started:.1f} s")


def _analyze() -> None:
    analyze(["org_person"])


def run(scale: int, log: Any = print) -> dict[str, float]:
    from mofan.accounts.models import User

    root = Unit.objects.filter(parent__isnull=True, name=_root_name(scale)).first()
    if root is None:
        log(f"generating the district: {2 * scale:,} people, {scale:,} of them in one town")
        generate(scale, log)
    else:
        log("reusing the generated district")
    town = Unit.objects.get(parent__name=_root_name(scale), parent__parent__isnull=True, name="基准镇")
    actor = User.objects.get(username=ACTOR)

    def people() -> Any:
        return selectors.person_list(actor=actor, within=town)

    def forget() -> None:  # each request loads the actor's memberships afresh
        clear_cache(actor)

    total = people().count()
    pages = max(1, -(-total // PAGE_SIZE))
    deep = min(DEEP_PAGE, pages)
    last_seen = people().values_list("id", flat=True)[(deep - 1) * PAGE_SIZE - 1] if deep > 1 else 0
    log(f"subtree of {total:,} people, {pages:,} pages; deep page = page {deep:,}")

    metrics: dict[str, float] = {}
    # What the people page and /api/people/ do: a keyset page plus a count capped at COUNT_CAP.
    metrics |= measure(lambda: keyset_page(people()), repeat=REPEAT, setup=forget).metrics("list_first_page")
    metrics |= measure(lambda: keyset_page(people(), after=last_seen), repeat=REPEAT,
                       setup=forget).metrics("list_deep_page")
    metrics |= measure(lambda: capped_count(people()), repeat=REPEAT, setup=forget).metrics("count_capped")
    # For comparison, what OFFSET paging with an exact count would cost (Django's Paginator).
    metrics |= measure(lambda: list(Paginator(people(), PAGE_SIZE).page(deep).object_list), repeat=REPEAT,
                       setup=forget).metrics("offset_deep_page")
    metrics |= measure(lambda: people().count(), repeat=REPEAT, setup=forget).metrics("exact_count")
    return metrics

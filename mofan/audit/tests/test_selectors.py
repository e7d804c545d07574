"""Reading the trail: only the audit administrator, filtered, paged by id with a flat query count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.audit import selectors
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.selectors import LogFilters
from mofan.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["system", "security", "cadre"])
def test_only_the_audit_admin_reads_the_trail(district: Any, make_user: Any, admins: Any, who: str) -> None:
    actor = make_user(Role.CADRE, district.district) if who == "cadre" else getattr(admins, who)
    some_row = AuditLog.objects.latest("id")
    with pytest.raises(PermissionDenied):
        selectors.log_list(actor=actor)
    with pytest.raises(PermissionDenied):
        selectors.log_get(actor=actor, pk=some_row.pk)
    refusal = AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, actor=actor).latest("id")
    assert refusal.success is False and refusal.note == "audit.view"
    assert selectors.log_list(actor=admins.audit).filter(pk=some_row.pk).exists()
    assert selectors.log_get(actor=admins.audit, pk=some_row.pk) == some_row
    with pytest.raises(Http404):
        selectors.log_get(actor=admins.audit, pk=10**9)


def test_filters(district: Any, admins: Any) -> None:
    audit_record(actor=None, actor_name="stranger", event=AuditEvent.LOGIN_FAILED, success=False, note="unknown user")
    audit_record(actor=admins.security, event=AuditEvent.ACCOUNT_UNLOCKED, target=admins.system)
    audit_record(actor=admins.system, event=AuditEvent.UNIT_RENAMED, target=district.town_a,
                 old={"name": "甲镇"}, new={"name": "甲街道"})
    rows = selectors.log_list(actor=admins.audit, filters=LogFilters(user="stranger"))
    assert [r.note for r in rows] == ["unknown user"]
    rows = selectors.log_list(actor=admins.audit, filters=LogFilters(event_id=AuditEvent.ACCOUNT_UNLOCKED.id))
    assert [r.actor_name for r in rows] == ["secadmin"]
    assert all(not r.success for r in selectors.log_list(actor=admins.audit, filters=LogFilters(success=False)))
    assert selectors.log_list(actor=admins.audit, filters=LogFilters(success=False)).exists()
    rows = selectors.log_list(actor=admins.audit, filters=LogFilters(object_type="org.unit", object="甲镇"))
    assert [r.event_id for r in rows] == [AuditEvent.UNIT_RENAMED.id, AuditEvent.UNIT_CREATED.id]
    assert {r.target_id for r in rows} == {str(district.town_a.pk)}
    rows = selectors.log_list(actor=admins.audit,
                              filters=LogFilters(object_type="accounts.user", object=str(admins.system.pk)))
    assert AuditEvent.ACCOUNT_UNLOCKED.id in {r.event_id for r in rows}
    now = timezone.now()
    assert not selectors.log_list(actor=admins.audit, filters=LogFilters(start=now + timedelta(minutes=1))).exists()
    assert not selectors.log_list(actor=admins.audit, filters=LogFilters(end=now - timedelta(days=1))).exists()
    window = LogFilters(start=now - timedelta(minutes=5), end=now + timedelta(minutes=5))
    assert selectors.log_list(actor=admins.audit, filters=window).count() == AuditLog.objects.count()


def test_keyset_paging_walks_the_whole_trail_both_ways(admins: Any, django_assert_max_num_queries: Any) -> None:
    for n in range(120):
        audit_record(actor=None, actor_name=f"u{n}", event=AuditEvent.LOGIN_FAILED, success=False)
    total = AuditLog.objects.count()
    seen: list[int] = []
    page = selectors.log_page(actor=admins.audit)
    pages = [page]
    while True:
        seen += [r.pk for r in page.rows]
        assert len(page.rows) <= 50
        if page.older is None:
            break
        with django_assert_max_num_queries(3):
            page = selectors.log_page(actor=admins.audit, before=page.older)
        pages.append(page)
    assert seen == sorted(seen, reverse=True) and len(seen) == total
    assert pages[0].newer is None and pages[1].newer is not None
    back = selectors.log_page(actor=admins.audit, after=pages[1].newer)
    assert [r.pk for r in back.rows] == [r.pk for r in pages[0].rows]


def test_a_town_audit_admin_reads_only_their_subtree(district: Any, make_user: Any) -> None:
    town_auditor = make_user(Role.AUDIT_ADMIN, district.town_a)
    audit_record(actor=None, event=AuditEvent.UNIT_RENAMED, target=district.village_a1)
    audit_record(actor=None, event=AuditEvent.UNIT_RENAMED, target=district.village_b1)
    paths = set(selectors.log_list(actor=town_auditor).values_list("unit_path", flat=True))
    assert paths and all(p.startswith(district.town_a.path) for p in paths)

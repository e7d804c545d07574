import pytest

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.core.services import record_export


@pytest.mark.django_db
def test_record_export_leaves_one_audit_row(district, make_user) -> None:
    user = make_user(Role.CENTRE_OPERATOR, district.town_a)
    before = AuditLog.objects.count()
    row = record_export(actor=user, what="org.person", count=12)
    assert AuditLog.objects.count() == before + 1
    assert (row.event_id, row.actor_id, row.note, row.new_values) == (
        AuditEvent.EXPORT_LIST.id, user.pk, "org.person", {"list": "org.person", "count": 12})

import io

import pytest
from django.core.management import CommandError, call_command

from mofan.accounts.models import Membership, User
from mofan.accounts.roles import ADMIN_ROLES
from mofan.audit.models import AuditLog
from mofan.org.models import Unit


@pytest.mark.django_db
def test_bootstrap_creates_root_and_three_separate_admins() -> None:
    out = io.StringIO()
    call_command("bootstrap", "--district", "新区", "--code", "150999", stdout=out)
    root = Unit.objects.get(parent__isnull=True)
    assert root.name == "新区"
    admins = User.objects.filter(memberships__role__in=ADMIN_ROLES).distinct()
    assert admins.count() == 3
    assert {m.role for m in Membership.objects.all()} == set(ADMIN_ROLES)
    assert all(user.must_change_password for user in admins)
    assert "临时密码" in out.getvalue()
    assert AuditLog.objects.filter(event_name="accounts.user.created").count() == 3
    from mofan.cases.models import CalendarDay

    assert CalendarDay.objects.filter(date__year=2026, is_workday=False).exists()  # holidays loaded


@pytest.mark.django_db
def test_bootstrap_twice_is_refused_and_changes_nothing() -> None:
    call_command("bootstrap", "--district", "新区", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("bootstrap", "--district", "新区", stdout=io.StringIO())
    assert Unit.objects.count() == 1 and User.objects.count() == 3

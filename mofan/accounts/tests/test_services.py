"""Account services: lockout, password rules, 三员分立, and one audit row for every write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from mofan.accounts import services
from mofan.accounts.models import Membership, PasswordHistory, User
from mofan.accounts.roles import ADMIN_ROLES, Role
from mofan.audit.events import AuditEvent, EventType
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SECOND_ADMIN_MESSAGE = "one person may hold only one of system, security and audit administrator"


@contextmanager
def one_audit_row(event: EventType, *, success: bool = True) -> Iterator[list[AuditLog]]:
    """Assert that the block leaves exactly one audit row, of ``event``."""
    last = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rows: list[AuditLog] = []
    yield rows
    rows.extend(AuditLog.objects.filter(id__gt=last).order_by("id"))
    assert [(r.event_id, r.success) for r in rows] == [(event.id, success)], [r.event_name for r in rows]


def audit_count() -> int:
    return AuditLog.objects.count()


# Lockout ------------------------------------------------------------------------------------------------


def test_login_attempt_locks_after_five_failures_and_refuses_the_right_password(make_user: Any) -> None:
    user = make_user(username="wang")
    for attempt in range(1, 5):
        with one_audit_row(AuditEvent.LOGIN_FAILED, success=False):
            assert services.login_attempt(username="wang", password="wrong") is None
        user.refresh_from_db()
        assert user.failed_logins == attempt and user.locked_until is None
    # The fifth failure records the failed attempt and the lock.
    before = audit_count()
    assert services.login_attempt(username="wang", password="wrong") is None
    rows = list(AuditLog.objects.order_by("-id")[: audit_count() - before])
    assert {r.event_id for r in rows} == {AuditEvent.LOGIN_FAILED.id, AuditEvent.ACCOUNT_LOCKED.id}
    user.refresh_from_db()
    assert user.is_locked()
    expected = timezone.now() + timedelta(minutes=15)
    assert abs((user.locked_until - expected).total_seconds()) < 60
    with one_audit_row(AuditEvent.LOGIN_FAILED, success=False) as refused:
        assert services.login_attempt(username="wang", password=PASSWORD) is None
    assert refused[0].note == "locked"


def test_lock_ends_after_the_lockout_minutes(make_user: Any) -> None:
    user = make_user(username="wang")
    for _ in range(5):
        services.login_attempt(username="wang", password="wrong")
    assert services.login_attempt(username="wang", password=PASSWORD) is None
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert services.login_attempt(username="wang", password=PASSWORD) == user
    user.refresh_from_db()
    assert user.locked_until is None and user.failed_logins == 0


@override_settings(MOFAN_LOCKOUT_ATTEMPTS=3, MOFAN_LOCKOUT_MINUTES=30)
def test_lockout_follows_the_settings(make_user: Any) -> None:
    user = make_user(username="wang")
    for _ in range(3):
        services.login_attempt(username="wang", password="wrong")
    user.refresh_from_db()
    assert user.is_locked()
    assert user.is_locked(timezone.now() + timedelta(minutes=29))
    assert not user.is_locked(timezone.now() + timedelta(minutes=31))


def test_success_resets_the_failure_count(make_user: Any) -> None:
    user = make_user(username="wang")
    for _ in range(4):
        services.login_attempt(username="wang", password="wrong")
    assert services.login_attempt(username="wang", password=PASSWORD) == user
    for _ in range(4):
        services.login_attempt(username="wang", password="wrong")
    user.refresh_from_db()
    assert not user.is_locked() and user.failed_logins == 4


def test_unknown_user_and_inactive_account_are_refused_and_audited(make_user: Any, admins: Any) -> None:
    with one_audit_row(AuditEvent.LOGIN_FAILED, success=False):
        assert services.login_attempt(username="nobody", password=PASSWORD) is None
    user = make_user()
    services.user_deactivate(actor=admins.system, user=user)
    with one_audit_row(AuditEvent.LOGIN_FAILED, success=False) as rows:
        assert services.login_attempt(username=user.username, password=PASSWORD) is None
    assert rows[0].note == "inactive"


def test_security_admin_unlocks_and_it_is_audited(make_user: Any, admins: Any) -> None:
    user = make_user(username="wang")
    for _ in range(5):
        services.login_attempt(username="wang", password="wrong")
    user.refresh_from_db()
    with one_audit_row(AuditEvent.ACCOUNT_UNLOCKED) as rows:
        services.user_unlock(actor=admins.security, user=user)
    assert rows[0].actor == admins.security and rows[0].target_id == str(user.pk)
    assert rows[0].old_values["locked_until"] and rows[0].new_values == {"locked_until": None}  # type: ignore[index]
    assert services.login_attempt(username="wang", password=PASSWORD) == user


@pytest.mark.parametrize("who", ["system", "audit", "town_security"])
def test_only_the_security_admin_of_the_jurisdiction_unlocks(district: Any, make_user: Any, admins: Any,
                                                              who: str) -> None:
    user = make_user(Role.GRID_WORKER, district.village_b1)  # 乙镇: outside the town security admin
    with one_audit_row(AuditEvent.ACCESS_DENIED, success=False), pytest.raises(PermissionDenied):
        services.user_unlock(actor=getattr(admins, who), user=user)


# Passwords ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [("Ab1!xyz", "at least 8"), ("abcdefgh1", "at least 3"), ("ABCDEFGH!", "at least 3"), ("abcdefghij", "at least 3")],
)
def test_password_rules_refuse_weak_passwords(make_user: Any, password: str, reason: str) -> None:
    user = make_user()
    with pytest.raises(ValidationError) as exc:
        services.password_change(user=user, old_password=PASSWORD, new_password=password)
    assert any(reason in m for m in exc.value.message_dict["new_password"])
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_rules_refuse_reuse_of_the_last_five(make_user: Any) -> None:
    user = make_user()
    passwords = [PASSWORD] + [f"Mofan-Pass-{n}x" for n in range(1, 6)]
    for old, new in zip(passwords, passwords[1:], strict=False):
        with one_audit_row(AuditEvent.PASSWORD_CHANGED):
            services.password_change(user=user, old_password=old, new_password=new)
    current = passwords[-1]
    for reused in passwords[-5:]:  # the current one and the four before it: the last five
        with pytest.raises(ValidationError):
            services.password_change(user=user, old_password=current, new_password=reused)
    assert PasswordHistory.objects.filter(user=user).count() == 5
    # The sixth-last is allowed again.
    services.password_change(user=user, old_password=current, new_password=passwords[0])


def test_password_change_needs_the_current_password(make_user: Any) -> None:
    user = make_user()
    before = audit_count()
    with pytest.raises(ValidationError) as exc:
        services.password_change(user=user, old_password="Wrong-Pass-1", new_password="Mofan-New-2026")
    assert "old_password" in exc.value.message_dict
    assert audit_count() == before


def test_password_change_clears_the_forced_change(make_user: Any) -> None:
    user = make_user()
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    user.refresh_from_db()
    assert services.password_change_due(user)
    services.password_change(user=user, old_password=PASSWORD, new_password="Mofan-New-2026")
    assert not services.password_change_due(user)


def test_password_expires_after_ninety_days(make_user: Any) -> None:
    user = make_user()
    assert not services.password_change_due(user)
    user.password_changed_at = timezone.now() - timedelta(days=89)
    assert not services.password_change_due(user)
    user.password_changed_at = timezone.now() - timedelta(days=91)
    assert services.password_change_due(user)
    with override_settings(MOFAN_PASSWORD_MAX_AGE_DAYS=120):
        assert not services.password_change_due(user)


def test_password_reset_sets_a_temporary_password_and_forces_the_change(make_user: Any, admins: Any) -> None:
    user = make_user()
    with one_audit_row(AuditEvent.PASSWORD_RESET) as rows:
        services.password_reset(actor=admins.security, user=user, new_password="Temp-Pass-2026")
    assert rows[0].actor == admins.security
    user.refresh_from_db()
    assert user.check_password("Temp-Pass-2026") and user.must_change_password
    with pytest.raises(ValidationError) as exc:
        services.password_reset(actor=admins.security, user=user, new_password="short")
    assert "password" in exc.value.message_dict


def test_password_reset_refused_to_the_system_admin(make_user: Any, admins: Any) -> None:
    user = make_user()
    with pytest.raises(PermissionDenied):
        services.password_reset(actor=admins.system, user=user, new_password="Temp-Pass-2026")


# Accounts -----------------------------------------------------------------------------------------------


def test_user_create_forces_the_change_at_first_sign_in(admins: Any, person_a: Any) -> None:
    with one_audit_row(AuditEvent.USER_CREATED) as rows:
        user = services.user_create(actor=admins.system, username="zhangsan", display_name="张三",
                                    password="Init-Pass-2026", person=person_a)
    assert user.must_change_password and services.password_change_due(user)
    assert rows[0].unit_path == person_a.unit.path and rows[0].new_values["username"] == "zhangsan"  # type: ignore[index]
    assert "Init-Pass-2026" not in str(rows[0].new_values)


@pytest.mark.parametrize("password", ["short1A", "alllowercase", "12345678"])
def test_user_create_refuses_a_weak_initial_password(admins: Any, person_a: Any, password: str) -> None:
    before = audit_count()
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=admins.system, username="zhangsan", display_name="", password=password,
                             person=person_a)
    assert "password" in exc.value.message_dict
    assert not User.objects.filter(username="zhangsan").exists() and audit_count() == before


def test_user_create_refused_outside_the_jurisdiction(admins: Any, person_b: Any) -> None:
    with one_audit_row(AuditEvent.ACCESS_DENIED, success=False), pytest.raises(PermissionDenied):
        services.user_create(actor=admins.town_system, username="lisi", display_name="", password="Init-Pass-2026",
                             person=person_b)
    for actor in (admins.security, admins.audit):
        with pytest.raises(PermissionDenied):
            services.user_create(actor=actor, username="lisi", display_name="", password="Init-Pass-2026",
                                 person=person_b)
    assert not User.objects.filter(username="lisi").exists()


def test_user_create_refuses_a_taken_name_and_a_second_account_for_a_person(admins: Any, person_a: Any) -> None:
    services.user_create(actor=admins.system, username="zhangsan", display_name="", password="Init-Pass-2026",
                         person=person_a)
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=admins.system, username="zhangsan", display_name="", password="Init-Pass-2026")
    assert "username" in exc.value.message_dict or "unit" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=admins.system, username="other", display_name="", password="Init-Pass-2026",
                             person=person_a)
    assert "person" in exc.value.message_dict


def test_user_deactivate_is_audited_and_signs_in_no_more(make_user: Any, admins: Any) -> None:
    user = make_user()
    with one_audit_row(AuditEvent.USER_DEACTIVATED):
        services.user_deactivate(actor=admins.system, user=user)
    user.refresh_from_db()
    assert not user.is_active
    with pytest.raises(ValidationError):
        services.user_deactivate(actor=admins.system, user=user)
    with pytest.raises(ValidationError):
        services.user_deactivate(actor=admins.system, user=admins.system)


# 三员分立 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first", sorted(ADMIN_ROLES))
@pytest.mark.parametrize("second", sorted(ADMIN_ROLES))
def test_a_second_admin_role_is_refused(district: Any, make_user: Any, admins: Any, first: str, second: str) -> None:
    user = make_user(first, district.town_a)
    before = audit_count()
    with pytest.raises(ValidationError) as exc:
        services.membership_grant(actor=admins.security, user=user, unit=district.district, role=second)
    assert SECOND_ADMIN_MESSAGE in " ".join(exc.value.messages)
    assert Membership.objects.filter(user=user).count() == 1 and audit_count() == before


def test_nobody_grants_an_admin_role_to_themselves(district: Any, admins: Any) -> None:
    for actor in (admins.security, admins.town_security):
        for role in sorted(ADMIN_ROLES):
            before = audit_count()
            with pytest.raises(ValidationError) as exc:
                services.membership_grant(actor=actor, user=actor, unit=district.town_a, role=role)
            assert "yourself" in " ".join(exc.value.messages)
            # Nothing granted; the attempt itself is recorded as a refusal (issue 9).
            assert list(AuditLog.objects.order_by("id").values_list("event_id", "success"))[before:] == [
                (AuditEvent.ACCESS_DENIED.id, False)]
        assert actor.memberships.count() == 1


def test_grant_and_revoke_are_audited(district: Any, make_user: Any, admins: Any) -> None:
    user = make_user()
    with one_audit_row(AuditEvent.MEMBERSHIP_GRANTED) as rows:
        membership = services.membership_grant(actor=admins.security, user=user, unit=district.town_a,
                                               role=Role.GRID_WORKER)
    assert rows[0].new_values == {"role": Role.GRID_WORKER, "unit": "甲镇"} and rows[0].unit_path == district.town_a.path
    with pytest.raises(ValidationError):  # the same role twice on the same unit
        services.membership_grant(actor=admins.security, user=user, unit=district.town_a, role=Role.GRID_WORKER)
    with one_audit_row(AuditEvent.MEMBERSHIP_REVOKED):
        services.membership_revoke(actor=admins.security, membership=membership)
    assert not Membership.objects.filter(user=user).exists()


def test_grant_refused_outside_the_jurisdiction_and_to_other_admins(district: Any, make_user: Any,
                                                                    admins: Any) -> None:
    user = make_user()
    with one_audit_row(AuditEvent.ACCESS_DENIED, success=False), pytest.raises(PermissionDenied):
        services.membership_grant(actor=admins.town_security, user=user, unit=district.town_b, role=Role.CADRE)
    for actor in (admins.system, admins.audit):
        with pytest.raises(PermissionDenied):
            services.membership_grant(actor=actor, user=user, unit=district.town_a, role=Role.CADRE)
    with pytest.raises(ValidationError):
        services.membership_grant(actor=admins.security, user=user, unit=district.town_a, role="superuser")


def test_nobody_is_superuser_or_staff(admins: Any) -> None:
    for user in User.objects.all():
        assert user.is_superuser is False and user.is_staff is False
    assert not hasattr(User.objects, "create_superuser")


def test_record_login_and_logout_leave_one_row_each(make_user: Any) -> None:
    user = make_user()
    with one_audit_row(AuditEvent.LOGIN):
        services.record_login(user=user)
    with one_audit_row(AuditEvent.LOGOUT):
        services.record_logout(user=user)

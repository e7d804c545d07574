"""``mofan bootstrap``: the installer's first step on a real district — the root unit and the three
administrators (三员分立), each with a temporary password that must be changed at first sign-in."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mofan.accounts import services
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.cases.holidays import published_years
from mofan.cases.services.calendar_days import calendar_load_year
from mofan.org.models import Unit, UnitKind
from mofan.org.services import unit_create

ADMINS = [
    ("sysadmin", "系统管理员", Role.SYSTEM_ADMIN),
    ("secadmin", "安全管理员", Role.SECURITY_ADMIN),
    ("auditadmin", "审计管理员", Role.AUDIT_ADMIN),
]


def temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{body}-{secrets.choice(string.digits)}{secrets.choice(string.ascii_uppercase)}"


class Command(BaseCommand):
    help = "Create the root unit of the district and its three administrators (temporary passwords)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", required=True, help="name of the district, e.g. 某某区")
        parser.add_argument("--code", default="", help="GB/T 2260 area code of the district")

    def handle(self, *args: Any, **options: Any) -> None:
        if Unit.objects.filter(parent__isnull=True).exists():
            raise CommandError("这个数据库已经有区级根单位，无需再次初始化。")
        if User.objects.filter(username__in=[name for name, _, _ in ADMINS]).exists():
            raise CommandError("管理员账号已存在。")
        created = []
        try:
            with transaction.atomic():
                root = unit_create(actor=None, name=options["district"], kind=UnitKind.DISTRICT, parent=None,
                                   code=options["code"])
                for username, display, role in ADMINS:
                    password = temporary_password()
                    user = services.user_create(actor=None, username=username, display_name=display,
                                                password=password, unit=root, must_change_password=True)
                    services.membership_grant(actor=None, user=user, unit=root, role=role)
                    created.append((username, display, password))
                for year in published_years():  # the working calendar of the case time limits
                    calendar_load_year(actor=None, year=year)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(f"已创建区级根单位：{root.name}")
        for username, display, password in created:
            self.stdout.write(f"{display}  用户名 {username}  临时密码 {password}（首次登录须修改）")

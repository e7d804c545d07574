"""``mofan demo``: build the demo district 模范区 and print its demo accounts.

The district (organs, departments, party organisations, service points, 8 苏木镇(街道) with their 嘎查村
(社区), about 300 people and one account per role) is built by ``mofan.demo.district``; then every step
registered with ``mofan.demo.registry.demo_step`` runs in order. Later modules add their "months of
realistic activity" as such steps (see the registry's docstring). Running the command again adds nothing.
"""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from mofan.demo import registry
from mofan.demo.district import ACCOUNTS, DEMO_PASSWORD, DemoDistrict, build_district
from mofan.org.models import Unit


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up Chinese (double-width) and Latin text."""
    widths = [max(_width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(cells)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _unit_label(unit: Unit, names: dict[int, str]) -> str:
    """新华街道 › 和平社区: the unit's ancestors below the district root, or the root's own name."""
    chain = [names[pk] for pk in unit.ancestor_ids()[1:] if pk in names]
    return " › ".join(chain) if chain else unit.name


class Command(BaseCommand):
    help = "Build the demo district (模范区) with its people and one account per role, and print the accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-steps", action="store_true",
                            help="build only the district, without the activity steps of later modules")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            with transaction.atomic():
                district = build_district(log=self.stdout.write)
        except ValidationError as exc:
            raise CommandError("演示数据生成失败：" + "；".join(exc.messages)) from exc
        if not options["no_steps"]:
            self._run_steps(district)
        self._report(district, time.monotonic() - started)

    def _run_steps(self, district: DemoDistrict) -> None:
        registry.discover()
        for step in registry.steps():
            step_started = time.monotonic()
            try:
                with transaction.atomic():
                    result = step.func(district)
            except ValidationError as exc:
                raise CommandError(f"演示步骤 {step.name} 失败：" + "；".join(exc.messages)) from exc
            note = f"：{result}" if result else ""
            self.stdout.write(f"演示步骤 {step.name}{note}（{time.monotonic() - step_started:.1f} 秒）")

    def _report(self, district: DemoDistrict, seconds: float) -> None:
        created = district.created
        units = Unit.objects.filter(path__startswith=district.root.path).count()
        villages = len(district.all_villages())
        self.stdout.write(
            f"{district.root.name}（{district.root.code}）：{len(district.towns)} 个苏木镇（街道），"
            f"{villages} 个嘎查村（社区），共 {units} 个单位、{district.people_count} 人、{len(district.accounts)} 个演示账号。"
        )
        if any(created.values()):
            self.stdout.write(
                f"本次新建：单位 {created['units']} 个，人员 {created['people']} 人，"
                f"账号 {created['accounts']} 个，角色 {created['roles']} 项（用时 {seconds:.1f} 秒）。"
            )
        else:
            self.stdout.write(f"演示数据已存在，本次未新增任何数据（用时 {seconds:.1f} 秒）。")
        ids = {pk for spec in ACCOUNTS for pk in district.units[spec.unit_key].ancestor_ids()}
        names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
        rows = []
        for spec in ACCOUNTS:
            user = district.accounts[spec.key]
            unit = district.units[spec.unit_key]
            rows.append([spec.username, spec.title, _unit_label(unit, names), user.display_name, DEMO_PASSWORD])
        self.stdout.write("")
        self.stdout.write("演示账号（仅供演示，请勿用于生产环境）：")
        self.stdout.write(format_table(["用户名", "角色", "单位", "姓名", "密码"], rows))
        self.stdout.write("若已在系统中修改过密码，以修改后的密码为准。")

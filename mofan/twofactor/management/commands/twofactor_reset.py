"""``mofan twofactor_reset USERNAME``: the operator (shell access to the server, like ``mofan bootstrap``)
removes an account's authenticator, e.g. an administrator's lost phone, which no other administrator may reset
(三员分立). Audited as done by the installer; the holder enrolls again at the next sign-in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.accounts.models import User
from mofan.twofactor import services


class Command(BaseCommand):
    help = "Remove an account's authenticator and recovery codes (the holder enrolls again at the next sign-in)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No account named {options['username']!r}.")
        if not services.remove_device(user=user, actor=None, note="operator (command line)"):
            raise CommandError(f"The account {user.username!r} has no authenticator.")
        self.stdout.write(f"The authenticator of {user.username} was removed; they enroll again at the next sign-in.")

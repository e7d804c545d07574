"""Figures of competitions (see ``mofan.core.figures``).

- ``contests.advancers`` (入选…x名): the people who went on from a round whose qualifiers were chosen in the
  period, counted once each, by the unit of their branch — so a unit's figure counts its own people
  whichever level organised the competition.
- ``contests.held`` (举办竞赛x次): competitions organised by the unit (or below it) with a round starting in the
  period.

Readers need LEARNING_VIEW or CONTEST_MANAGE over the rows' units.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.contests.models import Competition, Entry
from mofan.core.figures import Figure, FigureScope, register


def _scope(actor: Any, field: str) -> Any:
    return scope_filter(actor, Action.LEARNING_VIEW, field) | scope_filter(actor, Action.CONTEST_MANAGE, field)


def advancer_rows(actor: Any, scope: FigureScope) -> QuerySet[Entry]:
    first, after = scope.bounds()
    return (Entry.objects.filter(_scope(actor, "unit_path"), qualified=True, unit_path__startswith=scope.unit_path,
                                 round__qualified_at__gte=first, round__qualified_at__lt=after)
            .select_related("user", "unit", "round__competition").order_by("round__competition_id", "round__order", "rank"))


def advancer_count(actor: Any, scope: FigureScope) -> int:
    return advancer_rows(actor, scope).order_by().values("user_id").distinct().count()


def held_rows(actor: Any, scope: FigureScope) -> QuerySet[Competition]:
    first, after = scope.bounds()
    return (Competition.objects.filter(_scope(actor, "unit_path"), unit_path__startswith=scope.unit_path,
                                       rounds__starts_at__gte=first, rounds__starts_at__lt=after)
            .distinct().order_by("-created_at", "-id"))


ADVANCERS = register(Figure(
    key="contests.advancers", label=_("People who advanced in competitions"), unit=_("people"),
    definition=_("People of the unit chosen to go on from a competition round whose qualifiers were chosen in "
                 "the period, each counted once."),
    rows=advancer_rows, compute=advancer_count))

HELD = register(Figure(
    key="contests.held", label=_("Competitions held"), unit=_("competitions"),
    definition=_("Competitions organised by the unit or below it with a round starting in the period."),
    rows=held_rows))

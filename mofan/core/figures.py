"""The registry of countable figures outside the case engine (the case KPIs live in ``cases.kpis``).

Every "x" of an exchange material — 天天学 x期, 入选大比武青年干部 x名 — is a figure: a number computed from
records for a unit and a period, read through the actor's jurisdiction, and traceable to the records behind
it. A module defines each of its figures ONCE, in its ``figures.py``, and pages, exports and the report
generator read them from here by key.

To add a figure, in ``mofan/<app>/figures.py``::

    from mofan.core.figures import Figure, FigureScope, register

    def _daily_issues(actor, scope: FigureScope) -> QuerySet:
        return daily_issue_list(actor=actor).filter(unit__path__startswith=scope.unit_path,
                                                    published_on__range=(scope.start, scope.end))

    register(Figure(key="learning.daily_issues", label=_("Daily study issues"), unit=_("issues"),
                    definition=_("Issues of 天天学 published for the unit's members in the period."),
                    rows=_daily_issues))

``rows(actor, scope)`` returns the queryset of the records counted (already limited to the actor's
jurisdiction); the value is its count unless the figure gives ``compute(actor, scope)`` (a rate, a sum of
people). An app whose config derives from ``FiguresAppConfig`` has its ``figures`` module imported when it is
ready, so every figure is registered before a request is served.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import AppConfig
from django.db.models import QuerySet
from django.utils.functional import Promise


@dataclass(frozen=True)
class FigureScope:
    """A unit (its subtree; None: everything in the actor's jurisdiction) and a period, both ends included."""

    unit: Any
    start: dt.date
    end: dt.date

    @property
    def unit_path(self) -> str:
        return "" if self.unit is None else str(self.unit.path)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware datetimes [start 00:00, the day after end 00:00) in the current time zone."""
        from django.utils import timezone

        first = timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))
        after = timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))
        return first, after


@dataclass(frozen=True)
class Figure:
    key: str  # "<app>.<name>", stable: reports refer to it
    label: str | Promise
    definition: str | Promise  # one sentence: what is counted
    unit: str | Promise  # the measure word of the text: 次, 期, 名, 件, %
    rows: Callable[[Any, FigureScope], QuerySet[Any]] | None = None
    compute: Callable[[Any, FigureScope], int | Decimal] | None = None

    def value(self, actor: Any, scope: FigureScope) -> int | Decimal:
        if self.compute is not None:
            return self.compute(actor, scope)
        if self.rows is None:
            raise ValueError(f"figure {self.key} has neither rows nor compute")
        return self.rows(actor, scope).count()


_REGISTRY: dict[str, Figure] = {}


def register(figure: Figure) -> Figure:
    if figure.key in _REGISTRY:
        raise ValueError(f"figure {figure.key!r} is registered twice")
    if figure.rows is None and figure.compute is None:
        raise ValueError(f"figure {figure.key!r} needs rows or compute")
    _REGISTRY[figure.key] = figure
    return figure


def get(key: str) -> Figure:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown figure {key!r}") from None


def all_figures(prefix: str = "") -> list[Figure]:
    """The registered figures whose key starts with ``prefix`` ("learning."), in key order."""
    return [f for key, f in sorted(_REGISTRY.items()) if key.startswith(prefix)]


class FiguresAppConfig(AppConfig):
    """The config of an app that may register figures: imports ``<app>.figures`` when the app is ready."""

    def ready(self) -> None:
        from importlib import import_module
        from importlib.util import find_spec

        if find_spec(f"{self.name}.figures") is not None:
            import_module(f"{self.name}.figures")

"""``{% case_operations case user dispatches as operations %}``: the operation forms ``user`` may submit on
``case`` now (see ``mofan.cases.views_ops.operations_panel``); used by ``cases/ops/_operations.html``."""

from __future__ import annotations

from typing import Any

from django import template

from mofan.cases.views_ops import PanelEntry, operations_panel

register = template.Library()


@register.simple_tag
def case_operations(case: Any, user: Any, dispatches: Any = None) -> list[PanelEntry]:
    if case is None or user is None or not getattr(user, "is_authenticated", False):
        return []
    return operations_panel(user, case, list(dispatches) if dispatches is not None else None)

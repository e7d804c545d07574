"""受理 / 驳回 / 分类 / 并案: the centre of the receiving level decides what to do with a collected case."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.cases.models import Case, CaseEvent, Category
from mofan.cases.services.engine import perform


def case_accept(*, actor: Any, case: Case, category: Category | None = None, note: str = "") -> Case:
    """受理. A category may be set at the same time."""
    if category is not None and not category.is_active:
        raise ValidationError({"category": _("Unknown category.")})

    def change(locked: Case) -> dict[str, Any]:
        locked.accepted_at = timezone.now()
        if category is not None:
            locked.category = category
        return {"category": category.name if category else None}

    return perform(actor=actor, case=case, name="accept", note=note, change=change)[0]


def case_reject(*, actor: Any, case: Case, reason: str, redirect_to: str = "") -> Case:
    """驳回: says why, who rejected, and where the reporter should go instead."""
    reason, redirect_to = (reason or "").strip(), (redirect_to or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the case is rejected.")})
    if len(reason) > 500 or len(redirect_to) > 200:
        raise ValidationError({"reason": _("The reason or the place to go instead is too long.")})

    def change(locked: Case) -> dict[str, Any]:
        locked.rejected_at = timezone.now()
        locked.reject_reason, locked.redirect_to = reason, redirect_to
        locked.due_at = None
        return {"reason": reason, "redirect_to": redirect_to}

    return perform(actor=actor, case=case, name="reject", note=reason, change=change)[0]


def case_classify(*, actor: Any, case: Case, category: Category) -> Case:
    if not category.is_active:
        raise ValidationError({"category": _("Unknown category.")})

    def change(locked: Case) -> dict[str, Any]:
        old = locked.category.name if locked.category else None
        locked.category = category
        return {"from": old, "to": category.name}

    return perform(actor=actor, case=case, name="classify", change=change)[0]


def case_merge(*, actor: Any, case: Case, into: Case, note: str = "") -> Case:
    """并案: a duplicate is linked to its parent; both timelines stay, the parent's shows the duplicate."""
    if into.pk == case.pk:
        raise ValidationError({"into": _("A case cannot be merged into itself.")})
    if into.parent_id is not None or into.state == "merged":
        raise ValidationError({"into": _("That case is itself merged; merge into its parent instead.")})
    if into.centre_path[: len(case.centre_path)] != case.centre_path and not case.centre_path.startswith(
        into.centre_path
    ):
        raise ValidationError({"into": _("Cases of different centres cannot be merged.")})

    def change(locked: Case) -> dict[str, Any]:
        # The parent as it is now (``into`` may be stale): its timeline entry must state its current state.
        parent = Case.objects.select_for_update().get(pk=into.pk)
        if parent.parent_id is not None or parent.state == "merged":
            raise ValidationError({"into": _("That case is itself merged; merge into its parent instead.")})
        locked.parent = parent
        locked.due_at = None
        user = actor if actor is not None and actor.is_authenticated else None
        CaseEvent.objects.create(case=parent, actor=user, actor_name=user.get_username() if user else "",
                                 action="merged_in", from_state=parent.state, to_state=parent.state,
                                 data={"duplicate": locked.tracking_code})
        return {"into": parent.tracking_code}

    return perform(actor=actor, case=case, name="merge", note=note, change=change)[0]

"""逐级上报: a case goes to the centre one level up — village → township → district.

A level escalates when it declares it cannot resolve the case (an operator, with a reason), and the sweeper
escalates by itself when a village or township lets a triage or handling limit pass (``system=True``). The
case moves to the centre above (``centre``, ``centre_path`` and ``level`` change; the area where it happened
does not), every dispatch still on it is withdrawn, and it waits for acceptance there with a new triage
clock. The district is the last level (兜底): escalating from it is refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.cases.models import Case
from mofan.cases.services.dispatch import (
    precheck,
    refuse,
    required_text,
    set_case_due,
    triage_due,
    withdraw_live,
)
from mofan.cases.services.engine import centre_above, perform


def case_escalate(*, actor: Any, case: Case, reason: str, system: bool = False) -> Case:
    """Hand the case to the centre one level up. ``system`` is the sweeper acting on a lapsed limit."""
    if not system:
        precheck(actor, case, "escalate")
    reason = required_text(reason, "reason", _("Say why this level cannot resolve the case."), limit=500)
    above = centre_above(case)
    if above is None:
        raise refuse(actor, case, "escalate", _("The district centre is the last level: the case cannot be "
                                                "escalated further."))
    new_centre, new_level = above
    now = timezone.now()

    def change(locked: Case) -> dict[str, Any]:
        if locked.centre_id != case.centre_id:
            raise ValidationError(_("Someone else changed this case meanwhile; reload it and try again."))
        previous = (locked.centre.name, locked.level)
        withdrawn = withdraw_live(locked)
        locked.centre, locked.centre_path, locked.level = new_centre, new_centre.path, new_level
        locked.paused_at = None
        set_case_due(locked, triage_due(locked, now), now)
        return {"from": previous[0], "from_level": previous[1], "to": new_centre.name, "to_level": new_level,
                "withdrawn": withdrawn, "by_timeout": system}

    return perform(actor=actor, case=case, name="escalate", note=reason, change=change, system=system)[0]

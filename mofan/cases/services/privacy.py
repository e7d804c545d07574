"""The reporter's personal data (PIPL minimum necessary): masked in every list, page, API answer and export,
for every role; shown in clear only through the explicit unmask action (the case page's button,
``POST /api/cases/<id>/reveal/``), to ``CASE_VIEW_REPORTER`` on the case's holding centre after a recent
re-authentication (``accounts.reauth``, checked by the views), and every clear view audited
(``CASE_REPORTER_VIEWED``). Pages and the API both go through ``reporter_reveal``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mofan.accounts.permissions import can, ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.cases.models import Case
from mofan.core import crypto
from mofan.core.masking import mask_name, mask_phone


@dataclass(frozen=True)
class Reporter:
    name: str
    phone: str
    id_number: str
    masked: bool  # True: the values are masked copies
    anonymous: bool


def reporter_masked(case: Case) -> Reporter:
    return Reporter(name=mask_name(case.reporter_name), phone=mask_phone(case.reporter_phone),
                    id_number=case.reporter_id_masked, masked=True, anonymous=case.anonymous)


def may_view_reporter(actor: Any, case: Case) -> bool:
    return can(actor, Action.CASE_VIEW_REPORTER, case.centre_path)


def reporter_reveal(actor: Any, case: Case) -> Reporter:
    """The reporter in clear, for a role that needs it. Audited when there is anything to show."""
    ensure_can(actor, Action.CASE_VIEW_REPORTER, case.centre_path, target=case)
    id_number = crypto.decrypt(case.reporter_id_cipher) if case.reporter_id_cipher else ""
    if case.reporter_name or case.reporter_phone or id_number:
        shown = [field for field, value in (("name", case.reporter_name), ("phone", case.reporter_phone),
                                            ("id_number", id_number)) if value]
        audit_record(actor=actor, event=AuditEvent.CASE_REPORTER_VIEWED, target=case, unit_path=case.centre_path,
                     note=",".join(shown))
    return Reporter(name=case.reporter_name, phone=case.reporter_phone, id_number=id_number, masked=False,
                    anonymous=case.anonymous)

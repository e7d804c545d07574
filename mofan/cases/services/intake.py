"""收集: registering a case from any channel — staff on a caller's behalf, grid workers, the public form,
the API and Open311. The case goes to the centre of the area where it happened (or the nearest above)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.permissions import ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.cases import kinds, kpis
from mofan.cases.calendar import due_after
from mofan.cases.models import Case, CaseAttachment, CaseEvent, Category, Channel, Urgency
from mofan.cases.services.engine import holding_centre, new_tracking_code
from mofan.core import crypto
from mofan.core.identity import validate_id_number, validate_phone
from mofan.core.masking import mask_id_number
from mofan.core.uploads import CheckedUpload, check_upload
from mofan.org.models import Unit

PUBLIC_CHANNELS = {Channel.PUBLIC, Channel.OPEN311}
MAX_ATTACHMENTS = 9


def _clean(*, title: str, description: str, channel: str, urgency: str, reporter_name: str, reporter_phone: str,
           reporter_id_number: str, anonymous: bool, category: Category | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title, description = (title or "").strip(), (description or "").strip()
    if not description:
        errors.setdefault("description", []).append(_("Describe the problem."))
    if len(description) > 5000:
        errors.setdefault("description", []).append(_("The description is longer than 5000 characters."))
    if not title:
        title = description[:30]
    if len(title) > 200:
        errors.setdefault("title", []).append(_("The title is longer than 200 characters."))
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Unknown channel."))
    if urgency not in Urgency.values:
        errors.setdefault("urgency", []).append(_("Unknown urgency."))
    if category is not None and not category.is_active:
        errors.setdefault("category", []).append(_("Unknown category."))
    phone = (reporter_phone or "").strip()
    if phone:
        try:
            phone = validate_phone(phone)
        except ValidationError as exc:
            errors.setdefault("reporter_phone", []).extend(exc.messages)
    id_number = (reporter_id_number or "").strip()
    if id_number:
        try:
            id_number = validate_id_number(id_number)
        except ValidationError as exc:
            errors.setdefault("reporter_id_number", []).extend(exc.messages)
    name = (reporter_name or "").strip()[:50]
    if anonymous:
        name, phone, id_number = "", "", ""
    elif channel in PUBLIC_CHANNELS and not phone:
        errors.setdefault("reporter_phone", []).append(
            _("Leave a phone number so that we can tell you the result, or report anonymously."))
    if errors:
        raise ValidationError(errors)
    return {"title": title, "description": description, "name": name, "phone": phone, "id_number": id_number}


def case_create(
    *, actor: Any, area: Unit, channel: str, description: str, title: str = "", kind: str = kinds.GOVERNANCE.key,
    urgency: str = Urgency.NORMAL, category: Category | None = None, reporter_name: str = "",
    reporter_phone: str = "", reporter_id_number: str = "", anonymous: bool = False, address: str = "",
    latitude: Decimal | None = None, longitude: Decimal | None = None, attachments: list[Any] | None = None,
) -> Case:
    """Register a case. ``actor`` None is a citizen (public form, Open311): allowed only on public channels."""
    if actor is None:
        if channel not in PUBLIC_CHANNELS:
            raise ValidationError({"channel": _("Only the public form and Open311 accept reports without an account.")})
    else:
        ensure_can(actor, Action.CASE_INTAKE, area)
    if not area.is_active:
        raise ValidationError({"area": _("The area is closed.")})
    values = _clean(title=title, description=description, channel=channel, urgency=urgency,
                    reporter_name=reporter_name, reporter_phone=reporter_phone,
                    reporter_id_number=reporter_id_number, anonymous=anonymous, category=category)
    files = [check_upload(f) for f in (attachments or [])]
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": _("At most %(n)d files per report.") % {"n": MAX_ATTACHMENTS}})
    centre, level = holding_centre(area)
    kind_def = kinds.get(kind)
    with transaction.atomic():
        now = timezone.now()
        case = Case(
            kind=kind, tracking_code=new_tracking_code(), state=kind_def.initial, title=values["title"],
            description=values["description"], channel=channel, urgency=urgency, category=category,
            area=area, area_path=area.path, centre=centre, centre_path=centre.path, level=level,
            anonymous=anonymous, reporter_name=values["name"], reporter_phone=values["phone"],
            address=(address or "").strip()[:200], latitude=latitude, longitude=longitude,
            due_at=due_after(now, kind_def.triage_limit[urgency]),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        if values["id_number"]:
            case.reporter_id_cipher = crypto.encrypt(values["id_number"])
            case.reporter_id_masked = mask_id_number(values["id_number"])
        case.save()
        kpis.tally_after(case.pk, None)
        event = CaseEvent.objects.create(
            case=case, actor=case.created_by, actor_name=case.created_by.get_username() if case.created_by else "",
            action="collect", to_state=case.state, data={"channel": channel},
        )
        for checked in files:
            _attach(case=case, event=event, checked=checked, actor=case.created_by)
        audit_record(actor=actor, event=AuditEvent.CASE_CREATED, target=case, unit_path=case.centre_path,
                     new={"channel": channel, "area": area.name, "centre": centre.name, "urgency": urgency,
                          "phone": values["phone"], "attachments": len(files)})
    return case


def _attach(*, case: Case, event: CaseEvent | None, checked: CheckedUpload, actor: Any) -> CaseAttachment:
    attachment = CaseAttachment(case=case, event=event, name=checked.name, content_type=checked.content_type,
                                size=checked.size, sha256=checked.sha256, uploaded_by=actor)
    attachment.file.save(checked.name, ContentFile(checked.content), save=False)
    attachment.save()
    return attachment


def attach_files(*, case: Case, event: CaseEvent, files: list[Any], actor: Any) -> list[CaseAttachment]:
    """Files sent with an operation (evidence of handling, photos): checked first, then stored with the event."""
    checked = [check_upload(f) for f in files]
    return [_attach(case=case, event=event, checked=c, actor=actor) for c in checked]

"""收集: registering a case from any channel — staff on a caller's behalf, grid workers, the public form,
the API and Open311. The case goes to the centre of the area where it happened (or the nearest above)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
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
# A client token: what ``secrets.token_urlsafe`` makes, or a client's own UUID or request id.
CLIENT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def column(name: str) -> int:
    """The length of a text column of Case: a text longer than its column is refused, never cut."""
    length = getattr(Case._meta.get_field(name), "max_length", None)
    assert length is not None  # noqa: S101 - a CharField
    return int(length)


MAX_NAME, MAX_ADDRESS = column("reporter_name"), column("address")
MAX_DESCRIPTION = 5000


def too_long(limit: int) -> str:
    return _("At most %(n)d characters.") % {"n": limit}


def clean_client_token(value: str | None) -> str | None:
    """A client token, or None when none was sent; a malformed one is refused."""
    token = (value or "").strip()
    if not token:
        return None
    if not CLIENT_TOKEN.match(token):
        raise ValidationError({"client_token": _("This form has expired: reload the page and send it again.")})
    return token


def case_for_token(token: str | None, *, channel: str, actor: Any) -> Case | None:
    """The case already made with this client token by the same sender (the same channel and account, or a
    citizen), or None. A token used by someone else is refused: a token never shows another sender's case."""
    if not token:
        return None
    case = Case.objects.filter(client_token=token).first()
    if case is None:
        return None
    sender = actor.pk if actor is not None and actor.is_authenticated else None
    if case.channel != channel or case.created_by_id != sender:
        raise ValidationError({"client_token": _("This form has expired: reload the page and send it again.")})
    return case


def _clean(*, title: str, description: str, channel: str, urgency: str, reporter_name: str, reporter_phone: str,
           reporter_id_number: str, anonymous: bool, category: Category | None, address: str) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    address = (address or "").strip()
    if len(address) > MAX_ADDRESS:
        errors.setdefault("address", []).append(too_long(MAX_ADDRESS))
    title, description = (title or "").strip(), (description or "").strip()
    if not description:
        errors.setdefault("description", []).append(_("Describe the problem."))
    if len(description) > MAX_DESCRIPTION:
        errors.setdefault("description", []).append(too_long(MAX_DESCRIPTION))
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
    name = (reporter_name or "").strip()
    if len(name) > MAX_NAME:
        errors.setdefault("reporter_name", []).append(too_long(MAX_NAME))
    if anonymous:
        name, phone, id_number = "", "", ""
    elif channel in PUBLIC_CHANNELS and not phone:
        errors.setdefault("reporter_phone", []).append(
            _("Leave a phone number so that we can tell you the result, or report anonymously."))
    if errors:
        raise ValidationError(errors)
    return {"title": title, "description": description, "name": name, "phone": phone, "id_number": id_number,
            "address": address}


def case_create(
    *, actor: Any, area: Unit, channel: str, description: str, title: str = "", kind: str = kinds.GOVERNANCE.key,
    urgency: str = Urgency.NORMAL, category: Category | None = None, reporter_name: str = "",
    reporter_phone: str = "", reporter_id_number: str = "", anonymous: bool = False, address: str = "",
    latitude: Decimal | None = None, longitude: Decimal | None = None, attachments: list[Any] | None = None,
    client_token: str | None = None,
) -> Case:
    """Register a case. ``actor`` None is a citizen (public form, Open311): allowed only on public channels.

    ``client_token`` makes the call idempotent: the same token from the same sender returns the case it made
    the first time (nothing is written again), also when two arrive at the same moment (a unique index)."""
    if actor is None:
        if channel not in PUBLIC_CHANNELS:
            raise ValidationError({"channel": _("Only the public form and Open311 accept reports without an account.")})
    else:
        ensure_can(actor, Action.CASE_INTAKE, area)
    if not area.is_active:
        raise ValidationError({"area": _("The area is closed.")})
    token = clean_client_token(client_token)
    existing = case_for_token(token, channel=channel, actor=actor)
    if existing is not None:
        return existing
    values = _clean(title=title, description=description, channel=channel, urgency=urgency,
                    reporter_name=reporter_name, reporter_phone=reporter_phone,
                    reporter_id_number=reporter_id_number, anonymous=anonymous, category=category,
                    address=address)
    files = [check_upload(f) for f in (attachments or [])]
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"attachments": _("At most %(n)d files per report.") % {"n": MAX_ATTACHMENTS}})
    try:
        return _write(actor=actor, area=area, channel=channel, kind=kind, urgency=urgency, category=category,
                      values=values, anonymous=anonymous, latitude=latitude, longitude=longitude, files=files,
                      token=token)
    except IntegrityError:
        winner = case_for_token(token, channel=channel, actor=actor)  # a simultaneous submit of the same token
        if winner is None:
            raise
        return winner


def _write(*, actor: Any, area: Unit, channel: str, kind: str, urgency: str, category: Category | None,
           values: dict[str, Any], anonymous: bool, latitude: Decimal | None, longitude: Decimal | None,
           files: list[CheckedUpload], token: str | None) -> Case:
    centre, level = holding_centre(area)
    kind_def = kinds.get(kind)
    with transaction.atomic():
        now = timezone.now()
        case = Case(
            kind=kind, tracking_code=new_tracking_code(), state=kind_def.initial, title=values["title"],
            description=values["description"], channel=channel, urgency=urgency, category=category,
            area=area, area_path=area.path, centre=centre, centre_path=centre.path, level=level,
            anonymous=anonymous, reporter_name=values["name"], reporter_phone=values["phone"],
            address=values["address"], latitude=latitude, longitude=longitude, client_token=token,
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

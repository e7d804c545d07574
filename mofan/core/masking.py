"""Masking of personal data for display, exports and the audit trail (PIPL minimum necessary)."""

from __future__ import annotations

from typing import Any


def mask_phone(phone: str | None) -> str:
    """138****1234; landlines keep the area code and the last 2 digits."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    return f"{phone[:4]}****{phone[-2:]}" if len(phone) > 6 else "****"


def mask_id_number(number: str | None) -> str:
    """1501**********123X: region prefix and last four only."""
    if not number:
        return ""
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}" if len(number) > 8 else "****"


def mask_name(name: str | None) -> str:
    """张*, 欧阳**: the family name only."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else name


SENSITIVE_MASKERS = {
    "phone": mask_phone,
    "id_number": mask_id_number,
    "password": lambda _v: "******",
}


def mask_values(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Mask the personal fields of a dict of field values (for audit old/new values)."""
    if values is None:
        return None
    masked: dict[str, Any] = {}
    for key, value in values.items():
        masker = SENSITIVE_MASKERS.get(key)
        masked[key] = masker(value) if masker and value else value
    return masked

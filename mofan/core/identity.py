"""Validators for Chinese identifiers: 身份证号 (GB 11643), 统一社会信用代码 (GB 32100), phone numbers.

Each ``validate_*`` raises ``django.core.exceptions.ValidationError`` with a Chinese-first message
(through gettext) and returns the normalised value.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[1-9]\d{16}[\dX]$")


def id_number_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a 身份证号."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> str:
    """Validate an 18-digit resident identity number: form, birth date and check digit."""
    number = (value or "").strip().upper()
    if not _ID_RE.match(number):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."), code="id_format")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date inside the ID number is not a real date."), code="id_birth") from None
    if birth.year < 1900 or birth > dt.date.today():  # noqa: DTZ011 - a calendar date, not a moment
        raise ValidationError(_("The birth date inside the ID number is not a real date."), code="id_birth")
    if id_number_check_digit(number[:17]) != number[17]:
        raise ValidationError(_("The check digit of the ID number is wrong."), code="id_checksum")
    return number


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Validate an 18-character 统一社会信用代码 with its GB 32100-2015 check character."""
    code = (value or "").strip().upper()
    if not _USCC_RE.match(code):
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_format")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("The check character of the unified social credit code is wrong."), code="uscc_checksum")
    return code


_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def validate_phone(value: str) -> str:
    """A mainland mobile number (11 digits) or a landline with area code (0471-1234567)."""
    phone = re.sub(r"[\s()（）]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not (_MOBILE_RE.match(phone) or _LANDLINE_RE.match(phone)):
        raise ValidationError(_("Not a valid phone number."), code="phone_format")
    return phone


def gender_from_id_number(number: str) -> str:
    """'M' or 'F' from the 17th digit of a valid ID number."""
    return "M" if int(number[16]) % 2 else "F"

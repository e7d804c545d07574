"""Checking uploaded files by what they are, not what they are called: a photo must start like a photo; and
reading an upload to be imported without ever holding more than its limit (``read_limited``)."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# extension → (content type, magic prefix or None for zip-based Office files)
ALLOWED = {
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None),
}
_OFFICE_MARKER = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def check_upload(upload: Any, *, max_bytes: int | None = None) -> CheckedUpload:
    """Refuse a file that is too large, of a type not allowed, or whose content is not what its name says."""
    limit = max_bytes or settings.MOFAN_ATTACHMENT_MAX_BYTES
    name = str(getattr(upload, "name", "") or "file")
    size = int(getattr(upload, "size", 0) or 0)
    if size > limit:
        raise ValidationError(_("The file %(name)s is larger than %(limit)d MB.")
                              % {"name": name, "limit": limit // (1024 * 1024)})
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationError(_("Files of type .%(ext)s are not accepted; send a photo (jpg, png), a PDF, or a "
                                "Word or Excel file.") % {"ext": extension or "?"})
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(_("The file %(name)s is larger than %(limit)d MB.")
                              % {"name": name, "limit": limit // (1024 * 1024)})
    content_type, magic = ALLOWED[extension]
    if magic is not None:
        genuine = content.startswith(magic)
    else:
        import io

        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                genuine = _OFFICE_MARKER[extension] in archive.namelist()
        except zipfile.BadZipFile:
            genuine = False
    if not genuine:
        raise ValidationError(_("The file %(name)s is not really a .%(ext)s file.") % {"name": name, "ext": extension})
    return CheckedUpload(name=name[-200:], content_type=content_type, size=len(content),
                         sha256=hashlib.sha256(content).hexdigest(), content=content)


_READ_CHUNK = 1024 * 1024


def read_limited(file: Any, max_bytes: int) -> bytes:
    """The bytes of an upload to be imported (a Django ``UploadedFile``, a binary file or bytes), refused with
    a clear message when it holds more than ``max_bytes``; never more than ``max_bytes`` + 1 MiB is read, whatever
    the file claims its size to be. The xlsx, CSV and JSON importers read their file through this."""
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        parts: list[bytes] = []
        total = 0
        chunks = file.chunks(_READ_CHUNK) if hasattr(file, "chunks") else iter(lambda: file.read(_READ_CHUNK), b"")
        for chunk in chunks:
            parts.append(bytes(chunk))
            total += len(chunk)
            if total > max_bytes:
                break
        data = b"".join(parts)
    if len(data) > max_bytes:
        size = max(len(data), int(getattr(file, "size", 0) or 0))
        raise ValidationError(_("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                              % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)})
    return data

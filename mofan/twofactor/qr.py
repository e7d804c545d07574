"""The enrollment QR code as inline SVG, drawn on the server: the intranet loads no script from outside."""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, size_px: int = 220) -> SafeString:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r'width="[^"]*" height="[^"]*"', f'width="{size_px}" height="{size_px}"', svg, count=1)
    # Only our own markup: the data is encoded in the path geometry, never copied into the SVG as text.
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703 # our own SVG, no user text

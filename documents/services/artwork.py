"""The drawn parts of a document: the issuing organisation's seal and the QR code."""

from __future__ import annotations

import base64
import functools
import math
from xml.sax.saxutils import escape

import qrcode
import qrcode.image.svg

SEAL_RED = "#d0021b"


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return " ".join(points)


def seal_svg(name: str, *, purpose: str = "文书专用章") -> str:
    """An official-style round seal: the organisation's name clockwise along the upper
    arc, a five-pointed star in the middle, the seal's purpose beneath it.

    A drawing, not a signature: what makes the document the organisation's is the PAdES
    signature, which the seal points the reader to.
    """
    chars = list((name or "").strip())[:28]
    n = len(chars)
    # Spread the name over up to 250 degrees; short names keep a natural spacing.
    span = min(240.0, max(60.0, 19.0 * (n - 1))) if n > 1 else 0.0
    size = 23 if n <= 13 else max(13, int(23 * 13 / n))
    radius = 72
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" class="seal" '
        f'role="img" aria-label="{escape(name)}">',
        f'<g fill="{SEAL_RED}" stroke="none" fill-opacity="0.85">',
        f'<circle cx="100" cy="100" r="95" fill="none" stroke="{SEAL_RED}" '
        f'stroke-width="5" stroke-opacity="0.85"/>',
        f'<polygon points="{_star(100, 100, 30)}"/>',
    ]
    for i, char in enumerate(chars):
        angle = -span / 2 + (span * i / (n - 1) if n > 1 else 0)
        theta = math.radians(angle)
        x = 100 + radius * math.sin(theta)
        y = 100 - radius * math.cos(theta)
        parts.append(
            f'<text x="{x:.2f}" y="{y + size * 0.36:.2f}" font-size="{size}" '
            f'text-anchor="middle" font-family="Noto Serif CJK SC" font-weight="700" '
            f'transform="rotate({angle:.2f} {x:.2f} {y:.2f})">{escape(char)}</text>'
        )
    if purpose:
        parts.append(
            f'<text x="100" y="160" font-size="17" text-anchor="middle" '
            f'font-family="Noto Serif CJK SC" font-weight="700">{escape(purpose)}</text>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (vector, so it prints sharp at any size)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


SEAL_SIZE_MM = 40


@functools.lru_cache(maxsize=64)  # one per office or organisation in use
def seal_pdf(name: str) -> bytes:
    """The seal as a one-page vector PDF of its own size: the appearance of the
    organisation's signature field (documents/services/sign.py)."""
    from weasyprint import HTML

    from documents.services.fonts import compact_cjk_fonts

    size = f"{SEAL_SIZE_MM}mm"
    html = (
        "<!DOCTYPE html><html><head><style>"
        f"@page {{ size: {size} {size}; margin: 0 }} body {{ margin: 0 }} "
        f"svg {{ display: block; width: {size}; height: {size} }}"
        f"</style></head><body>{seal_svg(name)}</body></html>"
    )
    return HTML(string=html).write_pdf(finisher=compact_cjk_fonts)


SIGNATURE_SIZE_MM = (44, 16)


def signature_svg(name: str, *, label: str) -> str:
    """A person's electronic signature mark: the name as written, underlined, with what
    it is beneath (调解员电子签名). Like the seal, a drawing that points the reader to the
    PAdES signature it is the appearance of."""
    name = (name or "").strip()[:12]
    size = 34 if len(name) <= 4 else max(16, int(34 * 4 / len(name)))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 275 100" class="signature" '
        f'role="img" aria-label="{escape(name)}">'
        f'<text x="137" y="52" font-size="{size}" text-anchor="middle" '
        f'font-family="Noto Serif CJK SC" font-weight="700" fill="#1a237e">{escape(name)}</text>'
        '<line x1="20" y1="64" x2="255" y2="64" stroke="#1a237e" stroke-width="1.5"/>'
        f'<text x="137" y="88" font-size="15" text-anchor="middle" '
        f'font-family="Noto Sans CJK SC" fill="#444">{escape(label)}</text>'
        "</svg>"
    )


@functools.lru_cache(maxsize=64)
def signature_pdf(name: str, label: str) -> bytes:
    """The signature mark as a one-page vector PDF of its own size: the appearance of a
    mediator's signature field (documents/services/sign.py)."""
    from weasyprint import HTML

    from documents.services.fonts import compact_cjk_fonts

    width, height = (f"{v}mm" for v in SIGNATURE_SIZE_MM)
    html = (
        "<!DOCTYPE html><html><head><style>"
        f"@page {{ size: {width} {height}; margin: 0 }} body {{ margin: 0 }} "
        f"svg {{ display: block; width: {width}; height: {height} }}"
        f"</style></head><body>{signature_svg(name, label=label)}</body></html>"
    )
    return HTML(string=html).write_pdf(finisher=compact_cjk_fonts)

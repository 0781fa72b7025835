"""Charts drawn on the server as SVG: no script, no Node build, readable without colour.

Every bar carries its number as text, and the SVG has a title and a description, so a
screen reader reads the figures; the same figures are in the table and the CSV below it.
Only presentation attributes are used (the Content-Security-Policy forbids inline styles).
"""

from __future__ import annotations

import datetime as dt

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

BAR = "#b3261e"
GRID = "#d9dee3"
INK = "#1d2329"


def bar_chart(
    items: list[tuple[str, float | int | None]], *, title: str, unit: str = ""
) -> SafeString:
    """Horizontal bars, one per (label, value); fits a 360 px phone."""
    items = [(label, value or 0) for label, value in items]
    width, label_w, row_h = 340, 130, 24
    height = max(1, len(items)) * row_h + 8
    top = max([v for _l, v in items] or [0]) or 1
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row_h
        bar = 0 if value <= 0 else max(1.0, (width - label_w - 50) * value / top)
        shown = label if len(label) <= 12 else label[:11] + "…"
        parts.append(
            format_html(
                '<g class="bar"><text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}{}</title></rect>'
                '<text x="{}" y="{}" font-size="12" fill="{}">{}{}</text></g>',
                label_w - 6,
                y + 15,
                INK,
                shown,
                label_w,
                y + 3,
                f"{bar:.1f}",
                row_h - 8,
                BAR,
                label,
                _number(value),
                unit,
                f"{label_w + bar + 4:.1f}",
                y + 15,
                INK,
                _number(value),
                unit,
            )
        )
    description = "; ".join(f"{label}: {_number(value)}{unit}" for label, value in items)
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title><desc>{}</desc>{}</svg>',
        width,
        height,
        title,
        description,
        mark_safe("".join(parts)),  # noqa: S308 -- each part escaped by format_html
    )


def column_chart(series: list[tuple[dt.date, int]], *, title: str) -> SafeString:
    """Cases per day as columns, with the first and last day and the highest count marked."""
    width, height, left, bottom = 340, 140, 28, 20
    n = max(1, len(series))
    top = max([v for _d, v in series] or [0]) or 1
    step = (width - left - 4) / n
    parts = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            left,
            height - bottom,
            width,
            height - bottom,
            GRID,
        ),
        format_html(
            '<text x="{}" y="12" font-size="11" text-anchor="end" fill="{}">{}</text>',
            left - 4,
            INK,
            top,
        ),
    ]
    for i, (day, value) in enumerate(series):
        h = (height - bottom - 16) * value / top
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                f"{left + i * step:.2f}",
                f"{height - bottom - h:.2f}",
                f"{max(step - 1, 0.5):.2f}",
                f"{h:.2f}",
                BAR,
                day.isoformat(),
                value,
            )
        )
    if series:
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" fill="{}">{}</text>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text>',
                left,
                height - 4,
                INK,
                series[0][0].isoformat(),
                width,
                height - 4,
                INK,
                series[-1][0].isoformat(),
            )
        )
    total = sum(v for _d, v in series)
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title><desc>{}</desc>{}</svg>',
        width,
        height,
        title,
        escape(f"{total}"),
        mark_safe("".join(parts)),  # noqa: S308 -- each part escaped by format_html
    )


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)

"""Small display helpers for the credit pages."""

from django import template

from cases.categories import CATEGORY_CHOICES

register = template.Library()
_CATEGORIES = dict(CATEGORY_CHOICES)


@register.filter
def percent(value) -> str:
    """0.8765 -> '87.7%'; None -> '—'."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def category_label(code: str) -> str:
    return str(_CATEGORIES.get(code, code))


@register.filter
def points(value) -> str:
    return f"{float(value):.1f}"

"""``{% load divisions %}``: division codes as people read them (兰山区, 临沂市河东区)."""

from django import template

from odr import divisions

register = template.Library()


@register.filter
def division_label(code: str) -> str:
    return divisions.division_label(code or "")


@register.filter
def division_full_name(code: str) -> str:
    """The full name (山东省临沂市兰山区), or the code when the list does not have it."""
    return divisions.division_full_name(code or "") or (code or "")

"""``{% load divisions %}``: division codes as people read them (兰山区, 临沂市河东区)."""

from django import template

from odr import formatting

register = template.Library()


@register.filter
def division_label(code: str) -> str:
    return formatting.division(code)


@register.filter
def division_full_name(code: str) -> str:
    """The full name (山东省临沂市兰山区), or the code when the list does not have it."""
    return formatting.division_full(code)

"""The formatting layer (odr/formatting.py) for templates, loaded on every template (the
``builtins`` of TEMPLATES): ``{{ event.created_at|moment }}``, ``{{ due|long_date }}``,
``{{ offer.amount|amount }}``, ``{{ code|division }}``, ``{{ subject|signer }}``."""

from django import template

from odr import formatting

register = template.Library()

register.filter("moment", formatting.moment)
register.filter("short_date", formatting.short_date)
register.filter("division", formatting.division)
register.filter("signer", formatting.signer)
register.filter("person", formatting.person)


@register.filter
def long_date(value) -> str:
    return formatting.long_date(value)


@register.filter
def long_moment(value) -> str:
    return formatting.long_moment(value)


@register.filter
def amount(value) -> str:
    return formatting.amount(value)

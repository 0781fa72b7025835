"""Labels for events on the room page: the declarations' labels (cases/event_kinds.py)."""

from django import template

from cases.templatetags.case_labels import event_label

register = template.Library()


@register.filter
def mediation_event_label(kind: str) -> str:
    return event_label(kind)

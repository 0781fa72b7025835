"""Labels for mediation events on the room page (the case page has its own list)."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

EVENT_LABELS = {
    "mediation.session_scheduled": _("Session scheduled"),
    "mediation.party_muted": _("A party was muted"),
    "mediation.party_unmuted": _("A party may speak again"),
    "mediation.caucus_started": _("Private conversation started"),
    "mediation.caucus_ended": _("Private conversation ended"),
    "mediation.terms_proposed": _("Terms proposed"),
    "mediation.terms_accepted": _("Terms accepted"),
}


@register.filter
def mediation_event_label(kind: str) -> str:
    if kind in EVENT_LABELS:
        return str(EVENT_LABELS[kind])
    from cases.templatetags.case_labels import event_label

    return event_label(kind)

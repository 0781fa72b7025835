"""Labels for codes shown on case pages: event kinds, states, grounds."""

from django import template
from django.utils.translation import gettext_lazy as _

from cases.models import State
from cases.rulesets import ruleset_by_key
from cases.services.transitions import SPECS

register = template.Library()

EVENT_LABELS = {
    "case.submitted": _("Complaint filed"),
    "case.merchant_linked": _("Merchant record linked"),
    "deadline.started": _("Deadline set"),
    "deadline.reminder": _("Deadline reminder"),
    "deadline.overdue": _("Deadline passed"),
    "offer.made": _("Offer made"),
    "offer.rejected": _("Offer declined"),
    "message.posted": _("Message"),
    "evidence.added": _("Evidence added"),
    "negotiation.merchant_answered": _("Merchant answered"),
    "document.drafted": _("Document drafted for confirmation"),
    "document.confirmed": _("Document confirmed"),
    "document.issued": _("Document issued"),
    "document.correction_requested": _("Correction of a document requested"),
    "document.revoked": _("Document revoked"),
    "arbitration.agreement_proposed": _("Arbitration agreement proposed"),
    "arbitration.referral_delivered": _("Referral file delivered to the arbitration body"),
    "arbitration.acknowledged": _("Arbitration body acknowledged receipt"),
    "arbitration.info_requested": _("Arbitration body asked for more information"),
    "arbitration.award_filed": _("Award PDF filed"),
}


@register.filter
def event_label(kind: str) -> str:
    if kind in EVENT_LABELS:
        return str(EVENT_LABELS[kind])
    if kind.startswith("transition.") and kind[len("transition.") :] in SPECS:
        return str(SPECS[kind[len("transition.") :]].label)
    return kind


@register.filter
def state_label(value: str) -> str:
    try:
        return str(State(value).label)
    except ValueError:
        return value


@register.simple_tag
def ground_text(case) -> str:
    """The ground of a refusal or termination as the law words it, in the page's language."""
    from django.utils.translation import get_language

    if not case.ground:
        return ""
    rules = ruleset_by_key(case.ruleset)
    english = (get_language() or "").startswith("en")
    for ground in (*rules.refusal_grounds, *rules.termination_grounds):
        if ground.code == case.ground:
            if english:
                return f"{rules.name_en}, {ground.article.en}: {ground.text_en}"
            return f"《{rules.name_zh}》{ground.article.zh}：{ground.text_zh}"
    return case.ground

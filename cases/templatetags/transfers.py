"""Words for transfers (转办) on pages: offices' names and reasons in the reader's language."""

from django import template
from django.utils.translation import get_language

from cases.rulesets import ruleset_by_key
from cases.services.transfers import office_name as _office_name

register = template.Library()


def _english() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def office_name(code: str) -> str:
    """An office's name by its division code, in the current language."""
    if not code:
        return ""
    return _office_name(code, "en" if _english() else "zh-hans")


@register.filter
def transfer_reason(code: str, case) -> str:
    """A transfer reason's words from the case's rule set: ``{{ code|transfer_reason:case }}``."""
    rule = ruleset_by_key(case.ruleset).transfer
    if rule is None or not code:
        return code or ""
    try:
        found = rule.reason(code)
    except KeyError:
        return code
    return found.text_en if _english() else found.text_zh


@register.filter
def event_office(event, side: str) -> str:
    """The sending (``from``) or receiving (``to``) office named in a transfer event."""
    payload = event.payload or {}
    suffix = "en" if _english() else "zh"
    return payload.get(f"{side}_office_{suffix}") or payload.get(f"{side}_office", "")


@register.filter
def event_reason(event) -> str:
    payload = event.payload or {}
    return payload.get("reason_en" if _english() else "reason_zh") or payload.get("reason", "")


@register.filter
def rule_citation(rule) -> str:
    """A rule's citation (a TransferRule's, say) in the current language."""
    if rule is None:
        return ""
    return rule.citation_en if _english() else rule.citation_zh

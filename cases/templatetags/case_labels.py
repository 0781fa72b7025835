"""Labels for codes shown on case pages: event kinds (from their declarations), states,
grounds."""

from django import template

from cases import event_kinds
from cases.models import State
from cases.rulesets import ruleset_by_key

register = template.Library()


@register.filter
def event_label(kind: str) -> str:
    """What the timeline calls an event: its declaration's label (cases/event_kinds.py)."""
    declared = event_kinds.kind(kind)
    return str(declared.label) if declared and declared.label else kind


@register.filter
def changes_state(kind: str) -> bool:
    """Whether events of this kind moved the case to another state (as declared)."""
    declared = event_kinds.kind(kind)
    return bool(declared and declared.changes_state)


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

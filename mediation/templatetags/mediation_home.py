"""``{% load mediation_home %}``: the mediator's live cases on their home page.

The home pages belong to accounts, which imports neither cases nor mediation; this tag
lets the mediator's home list their cases with the room's unread messages, which only
mediation knows.
"""

from django import template

from mediation import selectors

register = template.Library()

HOME_LIMIT = 10


@register.inclusion_tag("cases/_home_mediator.html", takes_context=True)
def mediator_cases(context, limit: int = HOME_LIMIT) -> dict:
    rows, more = selectors.mediator_home_cases(mediator=context["request"].user, limit=limit)
    return {"rows": rows, "more": more}

"""``{% load notifications %}{% unread_badge %}``: the unread badge for the page header.

It shows the signed-in user's unread count and asks for it again every
NOTIFY_BADGE_POLL_SECONDS through htmx (the badge replaces itself), so a new notice shows
without a reload. It renders nothing for a visitor who is not signed in.
"""

from django import template
from django.conf import settings

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/includes/badge.html", takes_context=True)
def unread_badge(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"hidden": True}
    return {
        "unread": selectors.unread_total(user=user),
        "poll_seconds": settings.NOTIFY_BADGE_POLL_SECONDS,
    }

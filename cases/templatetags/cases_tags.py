"""``{% load cases_tags %}``: the case lists on each role's home page, and case-page labels.

The home pages belong to accounts, which must not import cases; these tags let their
templates show the consumer's cases, the merchant's inbox and the regulator's queue.
"""

from django import template
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from cases import rulesets
from cases.models import CaseRole, ComplaintDraft
from cases.views import case_rows, review_rows
from odr import formatting

register = template.Library()

HOME_LIMIT = 10

ACTOR_LABELS = {
    CaseRole.CONSUMER: _("consumer"),
    CaseRole.MERCHANT: _("merchant"),
    CaseRole.REGULATOR: _("regulator"),
    CaseRole.MEDIATOR: _("mediator"),
    CaseRole.ARBITRATION: _("arbitration body"),
    CaseRole.ADMIN: _("administrator"),
    CaseRole.SYSTEM: _("the service"),
}

# Keys of a draft that mean the consumer has started writing.
_DRAFT_CONTENT = ("merchant", "merchant_name", "facts", "request", "category")


@register.filter
def clock_label(clock: str) -> str:
    """The clock's name as its rule set declares it, in the page's language."""
    return rulesets.clock_label(clock, get_language())


@register.simple_tag
def time_left(row) -> str:
    """The time a running deadline leaves, counted as its clock counts (odr/formatting.py)."""
    if row.unit == "working_days":
        return formatting.time_left(row.working_days_left, "working_days")
    return formatting.time_left(row.calendar_days_left, "calendar_days")


@register.filter
def actor_label(role: str) -> str:
    return str(ACTOR_LABELS.get(role, role))


@register.filter
def next_deadline(case):
    """The nearest running deadline of a case from the list queries, or None."""
    running = getattr(case, "running_deadlines", None) or []
    return running[0] if running else None


def _first(queryset, limit: int) -> tuple[list, bool]:
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


@register.inclusion_tag("cases/_home_consumer.html", takes_context=True)
def consumer_cases(context, limit: int = HOME_LIMIT) -> dict:
    user = context["request"].user
    cases, more = _first(case_rows(user=user).filter(consumer=user), limit)
    draft = ComplaintDraft.objects.filter(consumer=user).order_by("-updated_at", "-id").first()
    started = draft is not None and (
        any(draft.data.get(key) for key in _DRAFT_CONTENT) or draft.evidence.exists()
    )
    return {"cases": cases, "more": more, "draft": draft if started else None}


@register.inclusion_tag("cases/_home_merchant.html", takes_context=True)
def merchant_inbox(context, limit: int = HOME_LIMIT) -> dict:
    user = context["request"].user
    merchants = [r.merchant_id for r in user.roles.all() if r.kind == Role.Kind.MERCHANT_STAFF]
    cases, more = _first(case_rows(user=user).filter(merchant_id__in=merchants), limit)
    return {"cases": cases, "more": more}


@register.inclusion_tag("cases/_home_regulator.html", takes_context=True)
def regulator_queue(context, limit: int = HOME_LIMIT) -> dict:
    cases, more = _first(review_rows(user=context["request"].user), limit)
    return {"cases": cases, "more": more}


@register.filter
def overdue(deadline) -> bool:
    """A running deadline whose time has passed (the sweep may not have marked it yet)."""
    return deadline is not None and deadline.due_at < timezone.now()

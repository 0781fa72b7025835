"""Groups built through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.tests import factories as af
from cases.models import Case, State
from cases.services.transitions import case_transition
from cases.tests import factories as cf
from groups.models import CaseGroup
from groups.services import mediation, membership

CATEGORY = "services.life"


def member_case(
    c: cf.Cast, *, consumer=None, amount: str = "399.00", review: bool = True, **kw
) -> Case:
    """A consumer's complaint against the cast's merchant, escalated to review."""
    consumer = consumer or af.consumer()
    case = cf.submit(
        consumer=consumer,
        merchant=c.merchant,
        amount=Decimal(amount),
        category=CATEGORY,
        complainant_phone=consumer.phone,
        **kw,
    )
    if review and case.state == State.NEGOTIATION:
        case = case_transition(case=case, name="escalate", actor=consumer, data={})
    return case


def group_of(
    c: cf.Cast, cases: list[Case], *, title: str = "预付卡门店关闭，无法退款"
) -> CaseGroup:
    return membership.group_create(
        actor=c.actor("regulator"),
        merchant=c.merchant,
        title=title,
        case_ids=[x.pk for x in cases],
    )


def in_mediation(c: cf.Cast, group: CaseGroup) -> CaseGroup:
    mediation.group_mediation_start(
        group=group, actor=c.actor("regulator"), mediator_id=str(c.mediator.pk)
    )
    group.refresh_from_db()
    return group


def soon(days: int = 10) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)

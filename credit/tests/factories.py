"""Credit test helpers: cases driven through the real services, and bare records.

Record-writing behaviour is tested through the real transitions (``cases.tests.factories``
drives a case into any state). Tests of the formula and of the figures need many records
at chosen dates: ``make_record`` writes one directly, on a bare case and event of its own.
"""

import datetime as dt
import itertools

from django.db import transaction
from django.utils import timezone

from accounts.models import Merchant, User
from accounts.tests import factories as af
from cases.models import Case, CaseEvent, State
from cases.services import negotiation
from cases.services.transitions import case_transition
from cases.tests import factories as cf
from credit.models import CreditRecord
from credit.services.rollup import records_insert

_seq = itertools.count(1)


def kinds(case: Case) -> list[str]:
    return sorted(CreditRecord.objects.filter(case=case).values_list("kind", flat=True))


def all_kinds(merchant: Merchant) -> list[str]:
    return sorted(CreditRecord.objects.filter(merchant=merchant).values_list("kind", flat=True))


def settled(c: cf.Cast, *, performance_days: int = 7, published: bool = True) -> Case:
    """A case of the cast settled in negotiation: the consumer accepted the merchant's offer.

    Its consumer agreed to publication unless ``published`` is False.
    """
    case = cf.submit(consumer=c.consumer, merchant=c.merchant, agrees_to_publication=published)
    proposal = cf.offer(case, c.actor("merchant_staff"), performance_days=performance_days)
    return negotiation.offer_accept(offer=proposal, actor=c.actor("consumer"))


def step(case: Case, c: cf.Cast, name: str, actor: str, **data) -> Case:
    values = cf.transition_data(c, name)
    values.update(data)
    return case_transition(case=case, name=name, actor=c.actor(actor), data=values)


def in_mediation(c: cf.Cast) -> Case:
    return cf.case_in(State.MEDIATION, c)


def bare_case(merchant: Merchant, consumer: User | None = None, **fields) -> Case:
    """A case row without its workflow, for records written directly (its consumer agreed
    to publication unless ``agrees_to_publication=False`` is given)."""
    n = next(_seq)
    values = {
        "reference": f"T-{timezone.localdate().year}-{n:06d}",
        "ruleset": "samr-order-121",
        "submitted_at": timezone.now(),
        "consumer": consumer or af.consumer(),
        "complainant_name": "张三",
        "complainant_phone": "+8613800000001",
        "complainant_address": "山东省临沂市兰山区金雀山路1号",
        "merchant": merchant,
        "merchant_name": merchant.name,
        "division_code": merchant.division_code,
        "category": "goods.food",
        "knew_of_harm_on": timezone.localdate(),
        "facts": "苹果腐烂",
        "request": "退款",
        "order_number": "JD20260101123456",
        "state": State.CLOSED,
        "agrees_to_publication": True,
    }
    values.update(fields)
    return Case.objects.create(**values)


def make_record(
    merchant: Merchant,
    kind: str,
    *,
    at: dt.datetime | None = None,
    days_ago: float = 0,
    case: Case | None = None,
    consumer: User | None = None,
    **fields,
) -> CreditRecord:
    """One record of ``kind`` on a bare case (a new one unless given) ``days_ago``."""
    when = at or (timezone.now() - dt.timedelta(days=days_ago))
    case = case or bare_case(merchant, consumer)
    event = CaseEvent.objects.create(
        case=case,
        seq=CaseEvent.objects.filter(case=case).count() + 1,
        kind=f"test.{kind}",
        actor_role="system",
        created_at=when,
        prev_hash="0" * 64,
        hash="0" * 64,
    )
    values = {
        "merchant": merchant,
        "case": case,
        "source_event": event,
        "kind": kind,
        "occurred_at": when,
        "occurred_day": timezone.localdate(when).toordinal(),
        "case_reference": case.reference,
        "category": case.category,
        "consumer": case.complainant_name[:1] + "**",
        "division_code": case.division_code,
        "published": case.agrees_to_publication,
    }
    values.update(fields)
    with transaction.atomic():
        [record] = records_insert([CreditRecord(**values)])
    return record

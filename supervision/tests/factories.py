"""A fixed, hand-countable set of cases for the dashboard, and helpers for the rules.

Cases are created as rows (with their state and event chain) rather than driven through
the services: the dashboard reads rows, and these rows are what the services would leave.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from accounts.models import Merchant
from accounts.tests import factories as af
from cases.models import GENESIS_HASH, Case, CaseEvent, CaseTransfer, Deadline

CHINA = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=CHINA)


def make_case(
    *,
    path: list[tuple[str, dt.datetime]],
    division: str = "371302",
    category: str = "goods.food",
    platform: str = "",
    merchant: Merchant | None = None,
    merchant_name: str = "",
    outcome: str = "",
    consumer=None,
    agreed_by: str = "transition.settle",
    store_url: str = "",
) -> Case:
    """A case that went through ``path`` [(state, when), ...]; the first is 'submitted'."""
    number = next(_numbers)
    submitted_at = path[0][1]
    case = Case.objects.create(
        reference=f"SV-{submitted_at.year}-{number:06d}",
        state=path[-1][0],
        ruleset="samr-order-121",
        submitted_at=submitted_at,
        consumer=consumer or af.consumer(),
        complainant_name="张三",
        complainant_phone="+8613800000001",
        complainant_address="山东省临沂市兰山区金雀山路1号",
        merchant=merchant,
        merchant_name=merchant.name if merchant else merchant_name,
        merchant_store_url=store_url,
        division_code=division,
        category=category,
        knew_of_harm_on=submitted_at.date(),
        platform=platform,
        facts="事实",
        request="请求",
        outcome=outcome,
        closed_at=path[-1][1] if path[-1][0] in ("closed", "rejected", "withdrawn") else None,
    )
    previous = ""
    for seq, (state, when) in enumerate(path, start=1):
        kind = (
            "case.submitted"
            if seq == 1
            else f"transition.{_transition(previous, state, agreed_by)}"
        )
        CaseEvent.objects.create(
            case=case,
            seq=seq,
            kind=kind,
            actor_role="system",
            from_state=previous,
            to_state=state,
            created_at=when,
            prev_hash=GENESIS_HASH,
            hash=f"{number:064d}",
        )
        previous = state
    return case


def _transition(source: str, target: str, agreed_by: str) -> str:
    if target == "settled":
        return agreed_by.removeprefix("transition.")
    return {
        "negotiation": "start_negotiation",
        "review": "request_review",
        "mediation": "accept",
        "mediation_failed": "terminate",
        "closed": "confirm_performance" if source in ("settled", "awarded") else "close",
        "withdrawn": "withdraw",
        "rejected": "reject",
        "referred": "refer_to_arbitration",
        "arbitrating": "arbitration_accept",
        "awarded": "record_award",
    }[target]


def deadline(case: Case, clock: str, due: dt.datetime, status: str = "running") -> Deadline:
    return Deadline.objects.create(
        case=case,
        clock=clock,
        started_at=case.submitted_at,
        due_on=due.date(),
        due_at=due,
        status=status,
    )


class Fixture:
    """Six cases in November 2026 in Linyi (371300), one in October, one in Fuzhou.

    Hand counts for Linyi, 1–30 November, are in test_dashboard.py.
    """

    def __init__(self):
        self.m1 = af.MerchantFactory(name="临沂优品", division_code="371302")
        self.m2 = af.MerchantFactory(name="兰陵电器", division_code="371311")
        self.regulator = af.regulator("371300")
        self.district_regulator = af.regulator("371311")
        self.other_regulator = af.regulator("350100")
        self.consumer = af.consumer()
        self.c1 = make_case(
            path=[
                ("submitted", at(11, 2)),
                ("negotiation", at(11, 2)),
                ("settled", at(11, 4)),
                ("closed", at(11, 10)),
            ],
            platform="淘宝",
            merchant=self.m1,
            outcome="performed",
            consumer=self.consumer,
        )
        self.c2 = make_case(
            path=[
                ("submitted", at(11, 3)),
                ("negotiation", at(11, 3)),
                ("settled", at(11, 3, 20)),
                ("closed", at(11, 5, 20)),
            ],
            platform="淘宝",
            merchant=self.m1,
            outcome="breached",
        )
        self.c3 = make_case(
            path=[("submitted", at(11, 5)), ("review", at(11, 5)), ("mediation", at(11, 6))],
            division="371311",
            category="goods.electronics",
            platform="京东",
            merchant=self.m2,
        )
        # Filed with Lanshan, transferred to Luozhuang (its merchant's district) on 5 Nov.
        self.transfer = CaseTransfer.objects.create(
            case=self.c3,
            from_office="371302",
            to_office="371311",
            reason="registered_place",
            transferred_by=self.regulator,
            transferred_at=at(11, 5),
        )
        self.c4 = make_case(
            path=[
                ("submitted", at(11, 6)),
                ("review", at(11, 6)),
                ("mediation", at(11, 8)),
                ("mediation_failed", at(11, 10)),
                ("closed", at(11, 11)),
            ],
            division="371311",
            category="goods.electronics",
            platform="京东",
            merchant=self.m2,
            outcome="mediation_failed",
        )
        self.c5 = make_case(
            path=[("submitted", at(11, 20)), ("review", at(11, 20))],
            category="services.travel",
            platform="京东",
            merchant=self.m1,
        )
        self.c6 = make_case(
            path=[("submitted", at(11, 21)), ("withdrawn", at(11, 22))],
            merchant_name="某小店",
            outcome="withdrawn",
        )
        # Outside the period, and outside the jurisdiction.
        self.c7 = make_case(
            path=[("submitted", at(10, 15)), ("closed", at(10, 20))],
            platform="淘宝",
            merchant=self.m1,
            outcome="performed",
        )
        self.c8 = make_case(
            path=[("submitted", at(11, 9)), ("review", at(11, 9))],
            division="350102",
            platform="淘宝",
            merchant=self.m1,
        )
        deadline(self.c3, "mediation_limit", at(11, 20))  # overdue on the 25th
        deadline(self.c5, "review_acceptance", at(11, 22))  # overdue
        deadline(self.c5, "negotiation_answer", at(11, 21), status="expired")  # passed
        deadline(self.c1, "negotiation_answer", at(11, 3), status="met")  # not overdue
        deadline(self.c4, "review_acceptance", at(12, 1))  # not yet due
        deadline(self.c8, "review_acceptance", at(11, 12))  # overdue, but Fuzhou


NOW = at(11, 25)


def spike_alert(
    merchant_pk: int,
    *,
    rule=None,
    label: str = "临沂优品",
    window: str = "2026-11-23",
    cases: list[str] | None = None,
):
    """An open merchant-spike alert on a merchant of district 371302 (Lanshan, Linyi), under
    ``rule`` (default: the national merchant-spike rule)."""
    from django.utils import timezone

    from supervision.models import Alert, AlertRule

    rule = rule or AlertRule.objects.get(kind="merchant_spike", jurisdiction="")
    return Alert.objects.create(
        rule=rule,
        kind=rule.kind,
        severity="high",
        division_code="371302",
        subject=f"merchant:{merchant_pk}",
        window=window,
        subject_label=label,
        evidence={
            "count": 6,
            "threshold": 5,
            "history": [1] * 8,
            "mean": 1,
            "sd": 0,
            "cases": cases or [],
        },
        created_at=timezone.now(),
    )

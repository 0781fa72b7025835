"""Cases in the states that issue documents, made through the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import Merchant, RegulatorOffice
from accounts.tests import factories as people
from cases.models import SYSTEM, Case
from cases.services.intake import ComplaintData, case_submit
from cases.services.negotiation import offer_accept, offer_make
from cases.services.transitions import case_transition

OFFICE_EN = "Linyi Administration for Market Regulation"


@dataclass
class Cast:
    consumer: object
    merchant_staff: object
    merchant: Merchant
    regulator: object
    mediator: object
    arbitration: object


def cast() -> Cast:
    merchant = people.MerchantFactory(
        name="临沂兰山优品电子商务有限公司",
        address="山东省临沂市兰山区沂蒙路 88 号",
        odr_joined_on=timezone.localdate() - dt.timedelta(days=365),
    )
    organisation = people.MediationOrganisationFactory(
        name="临沂市兰山区消费者协会", name_en="Lanshan District Consumer Association"
    )
    RegulatorOffice.objects.get_or_create(
        division_code="371300",
        defaults={"name": "临沂市市场监督管理局", "name_en": OFFICE_EN},
    )
    body = people.ArbitrationBodyFactory(name="临沂仲裁委员会")
    return Cast(
        consumer=people.consumer(display_name="张三"),
        merchant_staff=people.merchant_staff(merchant=merchant, display_name="李经理"),
        merchant=merchant,
        regulator=people.regulator(jurisdiction="371300", display_name="王科长"),
        mediator=people.mediator(organisation=organisation, display_name="赵调解"),
        arbitration=people.arbitration_staff(body=body),
    )


def submit(c: Cast, *, language: str = "zh-hans", enrolled: bool = True, now=None) -> Case:
    """A complaint: to negotiation if the merchant is enrolled in ODR, else to review."""
    joined = timezone.localdate() - dt.timedelta(days=365) if enrolled else None
    Merchant.objects.filter(pk=c.merchant.pk).update(odr_joined_on=joined)
    c.merchant.refresh_from_db()
    today = timezone.localdate(now) if now else timezone.localdate()
    return case_submit(
        consumer=c.consumer,
        data=ComplaintData(
            complainant_name="张三",
            complainant_phone=c.consumer.phone,
            complainant_address="山东省临沂市兰山区金雀山路 1 号 3 单元 502 室",
            facts="购买的蓝牙耳机收到后左耳无声，联系客服七天未获答复。",
            request="退货退款 1299 元。",
            category="goods.electronics",
            merchant=c.merchant,
            purchase_date=today - dt.timedelta(days=20),
            amount=Decimal("1299.00"),
            order_number="TB-20260501-0001",
            platform="淘宝",
            language=language,
        ),
        now=now,
    )


def to_review(c: Cast, **kwargs) -> Case:
    return submit(c, enrolled=False, **kwargs)


def accept(c: Cast, case: Case) -> Case:
    return case_transition(
        case=case, name="accept", actor=c.regulator, data={"mediator": str(c.mediator.pk)}
    )


def reject(c: Cast, case: Case, ground: str = "limitation") -> Case:
    return case_transition(
        case=case,
        name="reject",
        actor=c.regulator,
        data={"ground": ground, "reason": "投诉人于 2022 年即已知悉权益受损。"},
    )


TERMS = {
    "description": "乙方于协议生效后五日内为甲方办理退货退款，退还货款人民币 1299 元，并承担退货运费。",
    "amount": "1299.00",
}


def reach_agreement(c: Cast, case: Case, description: str | None = None) -> Case:
    due = timezone.localdate() + dt.timedelta(days=10)
    return case_transition(
        case=case,
        name="reach_agreement",
        actor=c.mediator,
        data={
            **TERMS,
            "description": description or TERMS["description"],
            "performance_due_on": due.isoformat(),
        },
    )


def terminate(c: Cast, case: Case, ground: str = "agreement_impossible") -> Case:
    return case_transition(
        case=case,
        name="terminate",
        actor=c.mediator,
        data={"ground": ground, "reason": "被投诉人明确表示不同意退款。"},
    )


def settle_by_offer(c: Cast, case: Case) -> Case:
    offer = offer_make(
        case=case,
        actor=c.merchant_staff,
        kind="refund",
        amount=Decimal("1299.00"),
        description="全额退款 1299 元，运费由我方承担。",
        valid_until=timezone.localdate() + dt.timedelta(days=7),
        performance_days=5,
    )
    return offer_accept(offer=offer, actor=c.consumer)


def refer(c: Cast, case: Case) -> Case:
    Case.objects.filter(pk=case.pk).update(arbitration_consented=True)
    case.refresh_from_db()
    return case_transition(
        case=case,
        name="refer_to_arbitration",
        actor=SYSTEM,
        data={"body": str(c.arbitration.roles.first().arbitration_body_id)},
    )


def close(c: Cast, case: Case) -> Case:
    return case_transition(case=case, name="close", actor=c.consumer, data={"reason": "放弃。"})


def confirm_performance(c: Cast, case: Case) -> Case:
    return case_transition(case=case, name="confirm_performance", actor=c.consumer, data={})

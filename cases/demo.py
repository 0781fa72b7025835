"""Demo cases for `seed_demo`: one in negotiation with an offer, one awaiting review, and
one in mediation whose acceptance decision came late (the dashboard counts it late) and
whose mediation limit runs into a year whose holiday notice is not yet entered (the case
page shows it provisional, with the latest date it could move to)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Merchant, Role, User
from cases.models import Case
from cases.services.intake import ComplaintData, case_submit
from cases.services.negotiation import offer_make
from cases.services.transitions import case_transition

DEMO_ORDERS = ("DEMO-0001", "DEMO-0002")
LATE_DECISION_ORDER = "DEMO-0003"
IDENTITY_ORDER = "DEMO-0004"
RECUSAL_ORDER = "DEMO-0005"


def seed_demo_cases() -> None:
    consumer = User.objects.filter(phone="+8613800000001").first()
    staff = User.objects.filter(phone="+8613800000002").first()
    enrolled = Merchant.objects.filter(uscc="91371300MA3C8TXK2D").first()
    other = Merchant.objects.filter(uscc="91371311MA3D0PQ41B").first()
    if not (consumer and staff and enrolled and other):
        return
    _seed_late_decision(other)
    _seed_identity_and_recusal(consumer, other)
    from cases.demo_transfers import seed_demo_transfers

    seed_demo_transfers(consumer)
    if Case.objects.filter(consumer=consumer, order_number__in=DEMO_ORDERS).exists():
        return
    today = timezone.localdate()
    common = {
        "complainant_name": "张三",
        "complainant_phone": consumer.phone,
        "complainant_address": "山东省临沂市兰山区金雀山路 1 号",
        "language": "zh-hans",
    }
    negotiating = case_submit(
        consumer=consumer,
        data=ComplaintData(
            **common,
            merchant=enrolled,
            category="goods.electronics",
            purchase_date=today - dt.timedelta(days=20),
            amount=Decimal("1299.00"),
            order_number=DEMO_ORDERS[0],
            platform="淘宝",
            facts="购买的蓝牙耳机收到后左耳无声，联系客服七天未获答复。",
            request="退货退款 1299 元。",
        ),
    )
    offer_make(
        case=negotiating,
        actor=staff,
        kind="repair",
        description="免费维修并延长保修一年。",
        valid_until=today + dt.timedelta(days=7),
    )
    case_submit(
        consumer=consumer,
        data=ComplaintData(
            **common,
            merchant=other,
            category="goods.food",
            purchase_date=today - dt.timedelta(days=5),
            amount=Decimal("86.50"),
            order_number=DEMO_ORDERS[1],
            platform="拼多多",
            facts="收到的水果一半腐烂，商家拒绝退款。",
            request="退还货款 86.50 元。",
        ),
    )


def _seed_late_decision(merchant: Merchant) -> None:
    """李四's complaint, received 15 days ago and accepted only today: its acceptance
    decision is late."""
    consumer = User.objects.filter(phone="+8613800000011").first()
    regulator = User.objects.filter(roles__kind=Role.Kind.REGULATOR).first()
    mediator = User.objects.filter(roles__kind=Role.Kind.MEDIATOR).first()
    if not (consumer and regulator and mediator):
        return
    if Case.objects.filter(consumer=consumer, order_number=LATE_DECISION_ORDER).exists():
        return
    common = {
        "complainant_name": "李四",
        "complainant_phone": consumer.phone,
        "complainant_address": "山东省临沂市罗庄区罗庄街道 8 号",
        "language": "zh-hans",
    }
    received = timezone.now() - dt.timedelta(days=15)
    case = case_submit(
        consumer=consumer,
        data=ComplaintData(
            **common,
            merchant=merchant,
            category="services.life",
            purchase_date=timezone.localdate(received) - dt.timedelta(days=3),
            amount=Decimal("450.00"),
            order_number=LATE_DECISION_ORDER,
            platform="线下门店",
            facts="空调维修后第二天再次不制冷，维修店不肯再次上门。",
            request="免费重新维修，或退还维修费 450 元。",
        ),
        now=received,
    )
    case_transition(case=case, name="accept", actor=regulator, data={"mediator": str(mediator.pk)})


def _seed_identity_and_recusal(consumer: User, merchant: Merchant) -> None:
    """张三's complaint under review whose complainant is asked for proof of identity (SAMR
    form 4), and another in mediation where 张三 asked for the mediator's recusal (form 7),
    waiting for the office's decision."""
    from cases.services.identity import identity_request
    from cases.services.recusal import recusal_request

    regulator = User.objects.filter(roles__kind=Role.Kind.REGULATOR).first()
    mediator = (
        User.objects.filter(username="mediator").first()
        or User.objects.filter(roles__kind=Role.Kind.MEDIATOR).first()
    )
    if not (regulator and mediator):
        return
    common = {
        "complainant_name": "张三",
        "complainant_phone": consumer.phone,
        "complainant_address": "山东省临沂市兰山区金雀山路 1 号",
        "language": "zh-hans",
        "merchant": merchant,
        "category": "goods.clothing",
        "platform": "抖音",
    }
    today = timezone.localdate()
    if not Case.objects.filter(consumer=consumer, order_number=IDENTITY_ORDER).exists():
        asked = case_submit(
            consumer=consumer,
            data=ComplaintData(
                **common,
                purchase_date=today - dt.timedelta(days=9),
                amount=Decimal("239.00"),
                order_number=IDENTITY_ORDER,
                facts="直播间购买的羽绒服充绒量与宣传不符，商家不予退货。",
                request="退货退款 239 元。",
            ),
        )
        identity_request(case=asked, actor=regulator, materials="居民身份证正反面照片")
    if not Case.objects.filter(consumer=consumer, order_number=RECUSAL_ORDER).exists():
        mediated = case_submit(
            consumer=consumer,
            data=ComplaintData(
                **common,
                purchase_date=today - dt.timedelta(days=12),
                amount=Decimal("598.00"),
                order_number=RECUSAL_ORDER,
                facts="购买的运动鞋穿一周开胶，商家称属人为损坏。",
                request="更换同款新鞋。",
            ),
        )
        mediated = case_transition(
            case=mediated, name="accept", actor=regulator, data={"mediator": str(mediator.pk)}
        )
        recusal_request(
            case=mediated,
            actor=consumer,
            ground="other_relationship",
            reasons="调解员曾在该商家任职，我担心调解不公正。",
        )

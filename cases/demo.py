"""Demo cases for `seed_demo`: one in negotiation with an offer, one awaiting review."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Merchant, User
from cases.models import Case
from cases.services.intake import ComplaintData, case_submit
from cases.services.negotiation import offer_make

DEMO_ORDERS = ("DEMO-0001", "DEMO-0002")


def seed_demo_cases() -> None:
    consumer = User.objects.filter(phone="+8613800000001").first()
    staff = User.objects.filter(phone="+8613800000002").first()
    enrolled = Merchant.objects.filter(uscc="91371300MA3C8TXK2D").first()
    other = Merchant.objects.filter(uscc="91371311MA3D0PQ41B").first()
    if not (consumer and staff and enrolled and other):
        return
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

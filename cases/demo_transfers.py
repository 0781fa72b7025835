"""Demo transfers (转办) for `seed_demo` (called from cases/demo.py).

- 张三's complaint against a Linyi shop selling on a platform domiciled in Fuzhou, which
  the Linyi office sent to the Fuzhou office: the demo regulator (Linyi, 371300) no
  longer sees it; the consumer's page shows the transfer.
- 张三's complaint against the Fuzhou company, which says it actually trades from Lanshan:
  the Fuzhou office sent it to the Lanshan office, so it waits in the demo regulator's
  queue, marked as an incoming transfer, with the acceptance deadline counted from then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Merchant, Role, User
from cases.models import Case, State
from cases.services.intake import ComplaintData, case_submit
from cases.services.transfers import case_transfer
from cases.services.transitions import case_transition

OUTGOING_ORDER = "DEMO-0006"
INCOMING_ORDER = "DEMO-0007"
FUZHOU_REGULATOR = "demo-fuzhou-regulator"


def _fuzhou_regulator() -> User:
    user, created = User.objects.get_or_create(
        username=FUZHOU_REGULATOR, defaults={"display_name": "林监管"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    Role.objects.get_or_create(user=user, kind=Role.Kind.REGULATOR, jurisdiction="350100")
    return user


def _in_review(consumer: User, merchant: Merchant, **facts) -> Case:
    case = case_submit(
        consumer=consumer,
        data=ComplaintData(
            complainant_name="张三",
            complainant_phone=consumer.phone,
            complainant_address="山东省临沂市兰山区金雀山路 1 号",
            language="zh-hans",
            merchant=merchant,
            **facts,
        ),
    )
    if case.state == State.NEGOTIATION:
        case = case_transition(case=case, name="escalate", actor=consumer, data={})
    return case


def seed_demo_transfers(consumer: User) -> None:
    linyi = User.objects.filter(roles__kind=Role.Kind.REGULATOR, roles__jurisdiction="371300")
    regulator = linyi.first()
    shop = Merchant.objects.filter(uscc="91371311MA3D0PQ41B").first()
    fuzhou_company = Merchant.objects.filter(uscc="91350100M000100Y43").first()
    if not (regulator and shop and fuzhou_company):
        return
    today = timezone.localdate()
    if not Case.objects.filter(consumer=consumer, order_number=OUTGOING_ORDER).exists():
        outgoing = _in_review(
            consumer,
            shop,
            category="goods.food",
            purchase_date=today - dt.timedelta(days=6),
            amount=Decimal("129.00"),
            order_number=OUTGOING_ORDER,
            platform="福州云途商城",
            facts="在福州云途商城平台购买的坚果礼盒已过期，店铺不予退款。",
            request="退还货款 129 元。",
        )
        case_transfer(
            case=outgoing,
            actor=regulator,
            to_office="350100",
            reason="platform_domicile",
            reason_text="店铺经营者身份信息无法核实，由平台经营者住所地市场监督管理部门处理。",
        )
    if not Case.objects.filter(consumer=consumer, order_number=INCOMING_ORDER).exists():
        incoming = _in_review(
            consumer,
            fuzhou_company,
            category="services.internet",
            purchase_date=today - dt.timedelta(days=4),
            amount=Decimal("399.00"),
            order_number=INCOMING_ORDER,
            platform="京东",
            facts="购买的年度会员无法使用，客服称业务由临沂兰山的门店办理。",
            request="退还会员费 399 元。",
        )
        case_transfer(
            case=incoming,
            actor=_fuzhou_regulator(),
            to_office="371302",
            reason="place_of_business",
            reason_text="被投诉人的实际经营地在临沂市兰山区。",
        )

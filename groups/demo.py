"""Demo data: a group complaint of three consumers against 临沂鲜果汇食品有限公司 (a
prepaid fruit card the shop stopped honouring), linked by the demo regulator; the demo
consumer (+8613800000001) is member 1 and its nominated representative."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Merchant, Role, User
from cases.models import Case
from cases.services.intake import ComplaintData, case_submit
from groups.models import CaseGroup

DEMO_TITLE = "预付水果卡门店停止兑付"
DEMO_PHONES = ("+8613800000001", "+8613800000091", "+8613800000092")
DEMO_ORDER = "XGH-CARD-"


def _consumer(phone: str, name: str) -> User:
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User.objects.create(phone=phone, username=phone, display_name=name)
        Role.objects.create(user=user, kind=Role.Kind.CONSUMER)
    return user


def seed_demo() -> None:
    from groups.services import membership

    merchant = Merchant.objects.filter(uscc="91371311MA3D0PQ41B").first()
    regulator = User.objects.filter(username="regulator").first()
    if merchant is None or regulator is None or CaseGroup.objects.filter(title=DEMO_TITLE).exists():
        return
    today = timezone.localdate()
    cases = []
    for n, (phone, name) in enumerate(zip(DEMO_PHONES, ("张三", "王芳", "刘强"), strict=True)):
        consumer = _consumer(phone, name)
        existing = Case.objects.filter(consumer=consumer, order_number=f"{DEMO_ORDER}{n}").first()
        cases.append(
            existing
            or case_submit(
                consumer=consumer,
                data=ComplaintData(
                    complainant_name=name,
                    complainant_phone=phone,
                    complainant_address="山东省临沂市兰山区通达路 18 号",
                    language="zh-hans",
                    merchant=merchant,
                    category="goods.food",
                    purchase_date=today - dt.timedelta(days=40 + n),
                    knew_of_harm_on=today - dt.timedelta(days=10),
                    amount=Decimal(f"{500 + 100 * n}.00"),
                    order_number=f"{DEMO_ORDER}{n}",
                    facts="在该店办理预付水果卡，门店近期停止兑付并关闭，余额无法使用。",
                    request="退还预付卡余额。",
                ),
            )
        )
    group = membership.group_create(
        actor=regulator, merchant=merchant, title=DEMO_TITLE, case_ids=[c.pk for c in cases]
    )
    for case in cases:
        membership.group_nominate(group=group, actor=case.consumer, nominee_number=1)
    membership.group_representatives_confirm(group=group, actor=regulator, numbers=[1])

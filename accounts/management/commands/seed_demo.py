"""Create the demo organisations and accounts listed in README.md. Safe to run again."""

import datetime

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import (
    ArbitrationBody,
    MediationOrganisation,
    Merchant,
    MerchantStore,
    RegulatorOffice,
    Role,
    User,
    store_url_key,
)

MERCHANTS = [
    # name, unified social credit code (valid check characters), division, address,
    # ODR enrolment, online stores (platform, URL)
    (
        "临沂优品电子商贸有限公司",
        "91371300MA3C8TXK2D",
        "371302",
        "山东省临沂市兰山区通达路 88 号",
        True,
        [("淘宝", "https://youpin-ly.taobao.com/"), ("京东", "https://mall.jd.com/youpin-ly")],
    ),
    (
        "临沂鲜果汇食品有限公司",
        "91371311MA3D0PQ41B",
        "371311",
        "山东省临沂市罗庄区罗七路 16 号",
        False,
        [("拼多多", "https://xianguohui.pinduoduo.com/")],
    ),
    (
        "福州云途网络科技有限公司",
        "91350100M000100Y43",
        "350100",
        "福建省福州市鼓楼区五四路 1 号",
        True,
        [],
    ),
]
ODR_JOINED = datetime.date(2025, 1, 1)

# The offices of the demo's divisions, whose seals their decisions carry (division code,
# name, English name).
OFFICES = [
    ("371300", "临沂市市场监督管理局", "Linyi Administration for Market Regulation"),
    (
        "371302",
        "临沂市兰山区市场监督管理局",
        "Lanshan District Administration for Market Regulation, Linyi",
    ),
    (
        "371311",
        "临沂市罗庄区市场监督管理局",
        "Luozhuang District Administration for Market Regulation, Linyi",
    ),
    ("350100", "福州市市场监督管理局", "Fuzhou Administration for Market Regulation"),
]

STAFF = [
    # username, password, display name, role kind
    ("mediator", "demo-mediator", "王调解", Role.Kind.MEDIATOR),
    # A consumer association's mediator: offered only where the consumer agreed to
    # delegated mediation.
    ("association", "demo-association", "陈调解", Role.Kind.MEDIATOR),
    ("regulator", "demo-regulator", "李监管", Role.Kind.REGULATOR),
    ("arbitrator", "demo-arbitrator", "赵仲裁", Role.Kind.ARBITRATION_STAFF),
    ("admin", "demo-admin", "系统管理员", Role.Kind.ADMINISTRATOR),
]


class Command(BaseCommand):
    help = "Create demo merchants, organisations and accounts (not under production settings)."

    def handle(self, *args, **options) -> None:
        if not settings.ODR_ALLOW_DEMO_SEED:
            raise CommandError("seed_demo is refused under production settings.")
        with transaction.atomic():
            merchants = []
            for name, uscc, division, address, enrolled, stores in MERCHANTS:
                merchant, _ = Merchant.objects.update_or_create(
                    uscc=uscc,
                    defaults={
                        "name": name,
                        "division_code": division,
                        "address": address,
                        "odr_joined_on": ODR_JOINED if enrolled else None,
                    },
                )
                for platform, url in stores:
                    MerchantStore.objects.get_or_create(
                        url_key=store_url_key(url),
                        defaults={"merchant": merchant, "platform": platform, "url": url},
                    )
                merchants.append(merchant)
            organisation, _ = MediationOrganisation.objects.get_or_create(
                name="临沂市市场监督管理局消费者权益保护调解中心",
                defaults={"division_code": "371300"},
            )
            association, _ = MediationOrganisation.objects.get_or_create(
                name="临沂市消费者协会",
                defaults={
                    "division_code": "371300",
                    "kind": MediationOrganisation.Kind.ASSOCIATION,
                },
            )
            for code, office_name, office_name_en in OFFICES:
                RegulatorOffice.objects.update_or_create(
                    division_code=code, defaults={"name": office_name, "name_en": office_name_en}
                )
            body, _ = ArbitrationBody.objects.get_or_create(
                name="临沂仲裁委员会", defaults={"division_code": "371300"}
            )
            self._phone_user("+8613800000001", "张三", Role.Kind.CONSUMER)
            self._phone_user("+8613800000011", "李四", Role.Kind.CONSUMER)
            self._phone_user(
                "+8613800000002", "优品客服", Role.Kind.MERCHANT_STAFF, merchant=merchants[0]
            )
            for username, password, display_name, kind in STAFF:
                user, created = User.objects.get_or_create(
                    username=username, defaults={"display_name": display_name}
                )
                if created:
                    user.set_password(password)
                if kind == Role.Kind.ADMINISTRATOR:
                    user.is_staff = user.is_superuser = True
                user.save()
                extra = {
                    Role.Kind.MEDIATOR: {
                        "mediation_organisation": association
                        if username == "association"
                        else organisation
                    },
                    Role.Kind.REGULATOR: {"jurisdiction": "371300"},
                    Role.Kind.ARBITRATION_STAFF: {"arbitration_body": body},
                }.get(kind, {})
                Role.objects.get_or_create(user=user, kind=kind, **extra)
            # Apps that have demo data of their own (cases in several states, ...) add it here:
            # an AppConfig with a seed_demo() method is called after the accounts exist.
            for config in apps.get_app_configs():
                seed = getattr(config, "seed_demo", None)
                if callable(seed):
                    seed()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _phone_user(self, phone: str, name: str, kind: str, **extra) -> User:
        user, created = User.objects.get_or_create(
            phone=phone, defaults={"username": phone, "display_name": name}
        )
        if created:
            user.set_unusable_password()
            user.save()
        Role.objects.get_or_create(user=user, kind=kind, **extra)
        return user

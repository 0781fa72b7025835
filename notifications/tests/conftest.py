"""Fixtures for the notification tests: people around a case, cases built through the real
services, and the real twilio client pointed at a local fake Twilio."""

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import MediationOrganisation, Merchant, User
from accounts.tests import factories as af
from cases.models import Case
from cases.services.intake import ComplaintData, case_submit
from notifications.tests.fake_twilio import FakeTwilio

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "auth-token-for-tests-0123456789ab"
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_KEY_SECRET = "api-key-secret-for-tests-0123456"
SERVICE_SID = "MG" + "00112233445566778899aabbccddeeff"
FROM_NUMBER = "+15005550006"
PUBLIC_URL = "https://odr.example.cn"

_orders = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings):
    """Quiet hours off unless a test sets them: the suite runs at any hour."""
    settings.NOTIFY_QUIET_HOURS_START = "00:00"
    settings.NOTIFY_QUIET_HOURS_END = "00:00"
    settings.NOTIFY_PUBLIC_BASE_URL = PUBLIC_URL


@pytest.fixture
def fake_twilio():
    with FakeTwilio(
        account_sid=ACCOUNT_SID,
        credentials={ACCOUNT_SID: AUTH_TOKEN, API_KEY_SID: API_KEY_SECRET},
    ) as fake:
        yield fake


@pytest.fixture
def twilio(settings, fake_twilio) -> FakeTwilio:
    """SMS through the real twilio client to the fake, with a Messaging Service."""
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_API_KEY_SID = ""
    settings.TWILIO_API_KEY_SECRET = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = SERVICE_SID
    settings.TWILIO_FROM_NUMBER = ""
    settings.TWILIO_API_BASE_URL = fake_twilio.url
    settings.TWILIO_HTTP_TIMEOUT = 5.0
    # A retry in a test runs at once: it may ask Twilio straight away.
    settings.NOTIFY_SEND_SETTLE_SECONDS = 0
    settings.NOTIFY_MAX_ATTEMPTS = 4
    return fake_twilio


@dataclass
class World:
    merchant: Merchant
    consumer: User
    staff: User
    colleague: User
    regulator: User
    province_regulator: User
    distant_regulator: User
    organisation: MediationOrganisation
    mediator: User
    arbitrator: User


@pytest.fixture
def world(db) -> World:
    merchant = af.MerchantFactory(odr_joined_on=dt.date(2020, 1, 1), division_code="371302")
    organisation = af.MediationOrganisationFactory(division_code="371300")
    body = af.ArbitrationBodyFactory()
    return World(
        merchant=merchant,
        consumer=af.consumer(display_name="张三", email="zhangsan@example.cn"),
        staff=af.merchant_staff(merchant, display_name="优品客服", email="kefu@example.cn"),
        colleague=af.merchant_staff(merchant, display_name="优品经理"),
        regulator=af.regulator("371300", email="jianguan@example.cn"),
        province_regulator=af.regulator("370000"),
        distant_regulator=af.regulator("350100"),
        organisation=organisation,
        mediator=af.mediator(organisation, email="tiaojie@example.cn"),
        arbitrator=af.arbitration_staff(body),
    )


def complaint(world: World, *, merchant: Merchant | None = None, **extra) -> ComplaintData:
    today = timezone.localdate()
    values = {
        "complainant_name": "张三",
        "complainant_phone": world.consumer.phone,
        "complainant_address": "山东省临沂市兰山区金雀山路 1 号",
        "facts": "购买的蓝牙耳机收到后左耳无声，联系客服七天未获答复。",
        "request": "退货退款 1299 元。",
        "category": "goods.electronics",
        "knew_of_harm_on": today - dt.timedelta(days=5),
        "purchase_date": today - dt.timedelta(days=10),
        "merchant": merchant or world.merchant,
        "amount": Decimal("1299.00"),
        "order_number": f"ORDER-{next(_orders)}",
        "platform": "淘宝",
    }
    values.update(extra)
    return ComplaintData(**values)


def submit(world: World, **extra) -> Case:
    return case_submit(consumer=world.consumer, data=complaint(world, **extra))

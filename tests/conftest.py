"""Fixtures for the cross-app tests in this folder (journeys through the whole stack)."""

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from accounts.models import User

DEMO_CONSUMER_PHONE = "+8613800000001"
DEMO_MERCHANT_STAFF_PHONE = "+8613800000002"


@dataclass(frozen=True)
class DemoData:
    consumer: User
    merchant_staff: User


@pytest.fixture
def demo_data() -> DemoData:
    """The demo organisations and accounts, created by the real ``seed_demo`` command.

    The test must allow database access (``django_db``; ``transaction=True`` for a
    browser journey, so that the server process sees the rows).
    """
    call_command("seed_demo", stdout=io.StringIO())
    return DemoData(
        consumer=User.objects.get(phone=DEMO_CONSUMER_PHONE),
        merchant_staff=User.objects.get(phone=DEMO_MERCHANT_STAFF_PHONE),
    )

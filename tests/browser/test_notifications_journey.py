"""The notifications journey in real Chromium on a phone-sized screen.

The demo consumer logs in and watches their page. The merchant's staff make an offer on
the consumer's case (through the API, from another client): the unread badge in the
consumer's header goes up without a reload (pushed over /ws/inbox/), the inbox shows the offer in
Chinese, and marking it read brings the count down.

Needs the badge in the page header: templates/base.html loads ``notifications`` and calls
``{% unread_badge %}`` for a signed-in user (the element ``#unread-badge``).
"""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from cases.models import Case
from notifications.models import Notification
from notifications.quiet_hours import sms_not_before
from tests.browser.pages import screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONSUMER_PHONE = "+8613800000001"
# The push arrives in well under a second; the bound only keeps a broken push from hanging.
PUSH_TIMEOUT_MS = 5_000

_screenshot = screenshots("notifications")


def _unread(user) -> int:
    return Notification.objects.filter(
        recipient=user, channel="inapp", read_at__isnull=True
    ).count()


def test_a_merchants_offer_raises_the_consumers_badge_without_a_reload(
    demo_data, live_daphne, new_page, browser_errors
):
    consumer, staff = demo_data.consumer, demo_data.merchant_staff
    case = Case.objects.filter(consumer=consumer, state="negotiation").order_by("pk").first()
    assert case is not None, "seed_demo makes a case in negotiation"
    before = _unread(consumer)
    assert before >= 1  # seed_demo's complaint and offer

    # The consumer logs in with the code from the SMS and stays on their page.
    page = new_page()
    page.goto("/accounts/login/")
    page.get_by_label("手机号码").fill("13800000001")
    page.get_by_role("button", name="发送验证码").click()
    page.get_by_label("短信验证码").fill(live_daphne.latest_code(to=CONSUMER_PHONE))
    page.locator("main").get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{live_daphne.url}/accounts/consumer/")
    badge = page.locator("#unread-badge")
    expect(badge).to_have_attribute("data-unread", str(before))
    expect(badge.locator(".count")).to_have_text(str(before))
    # The badge's socket (/ws/inbox/) is open: htmx polling is off, pushes do the work.
    # (Not wait_for_function: its polled predicate is an eval, which the page's CSP refuses.)
    expect(badge).to_have_attribute("data-live", "true", timeout=10_000)
    expect(badge).not_to_have_attribute("hx-trigger", re.compile(".*"))
    page.evaluate("window.__sameDocument = 'yes'")  # gone if the page reloads
    _screenshot(page, "1-before")

    # The merchant's staff make an offer, from another client.
    token = Token.objects.create(user=staff)
    merchant = new_page()
    response = merchant.request.post(
        f"/api/v1/cases/{case.reference}/offers/",
        data=json.dumps(
            {
                "kind": "refund",
                "amount": "1299.00",
                "description": "同意全额退款，三日内原路退回。",
                "valid_until": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            }
        ),
        headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
    )
    assert response.status == 201, response.text()
    assert _unread(consumer) == before + 1

    # The badge catches up by itself, pushed over the socket (no polling is running).
    expect(badge).to_have_attribute("data-unread", str(before + 1), timeout=PUSH_TIMEOUT_MS)
    expect(badge.locator(".count")).to_have_text(str(before + 1))
    assert page.evaluate("window.__sameDocument") == "yes"
    expect(page).to_have_url(f"{live_daphne.url}/accounts/consumer/")
    _screenshot(page, "2-after-offer")

    # The inbox has the offer on top, in Chinese; reading it brings the count down.
    badge.click()
    expect(page).to_have_url(f"{live_daphne.url}/notifications/")
    newest = page.locator("li.notification").first
    expect(newest.locator("h2")).to_have_text(f"收到和解方案：{case.reference}")
    expect(newest).to_contain_text("退款 1,299.00 元")
    _screenshot(page, "3-inbox")
    newest.locator("form button[type=submit]").click()  # "mark as read"
    expect(page.locator("#unread-badge")).to_have_attribute("data-unread", str(before))

    # Outside quiet hours the offer also went out by SMS, in Chinese.
    if sms_not_before(timezone.now()) is None:
        sms = live_daphne.latest_sms(to=CONSUMER_PHONE)
        assert "提出和解方案：退款 1,299.00 元" in sms["body"], sms

    assert not browser_errors, "\n".join(browser_errors)

"""The Foundation journey in real Chromium on a phone-sized screen.

A visitor gets the home page in Chinese, switches to English in the header, logs in as
the demo consumer with the code from the SMS, and lands on the consumer page.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import OtpChallenge, User
from tests.browser.pages import assert_fits_the_phone as _assert_fits_the_phone
from tests.browser.pages import open_site_menu, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_screenshot = screenshots("foundation")


def test_consumer_switches_to_english_and_logs_in_by_sms(
    demo_data, live_daphne, page, browser_errors
):
    # A phone in China asks for Chinese and gets it.
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("main h1")).to_have_text("在线解决您与经营者的消费纠纷")
    header = page.locator("header.site-header")
    expect(header.get_by_role("link", name="登录", exact=True)).to_be_visible()
    open_site_menu(page)  # on a phone the language switch is in the header's menu
    switcher = page.locator("select#language-select[name=language]")
    expect(switcher).to_have_value("zh-hans")
    expect(page.locator("#lang-switch").get_by_role("button", name="切换")).to_be_visible()
    _assert_fits_the_phone(page)
    _screenshot(page, "1-home-zh")

    # Choosing English is enough: static/js/app.js submits the form on change.
    switcher.select_option("en")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_daphne.url}/")
    expect(page.locator("main h1")).to_have_text("Resolve a dispute with a merchant, online")
    expect(switcher).to_have_value("en")
    open_site_menu(page)
    expect(page.locator("#lang-switch").get_by_role("button", name="Switch")).to_be_visible()
    _screenshot(page, "2-home-en")

    header.get_by_role("link", name="Log in", exact=True).click()
    expect(page).to_have_url(f"{live_daphne.url}/accounts/login/")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Log in with your mobile number")
    page.get_by_label("Mobile number").fill("13800000001")
    page.get_by_role("button", name="Send code").click()

    expect(page.get_by_role("status")).to_have_text("We have sent a 6-digit code to your phone.")
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    _assert_fits_the_phone(page)
    _screenshot(page, "3-code")
    sms = live_daphne.latest_sms(to="+8613800000001")
    assert [m["to"] for m in live_daphne.sms_messages()] == ["+8613800000001"]
    code = live_daphne.code_in(sms["body"])

    code_field.fill(code)
    page.locator("main").get_by_role("button", name="Log in", exact=True).click()

    expect(page).to_have_url(f"{live_daphne.url}/accounts/consumer/")
    expect(page.locator("h1[data-landing=consumer]")).to_have_text("My complaints")
    expect(html).to_have_attribute("lang", "en")
    # Signed in as the seeded consumer, not as a new account made for the number.
    expect(header.locator(".who")).to_have_text(demo_data.consumer.display_name)
    open_site_menu(page)
    expect(header.locator('.role-badge[data-role="consumer"]')).to_be_visible()
    expect(header.get_by_role("button", name="Log out")).to_be_visible()
    _assert_fits_the_phone(page)
    _screenshot(page, "4-consumer")
    # The server used the test database: the one code it sent is spent, no account was added.
    challenge = OtpChallenge.objects.get(phone="+8613800000001")
    assert challenge.consumed_at is not None
    assert User.objects.filter(phone="+8613800000001").count() == 1

    assert not browser_errors, "\n".join(browser_errors)


def test_language_switch_works_without_javascript(live_daphne, new_page, browser_errors):
    page = new_page(java_script_enabled=False)
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.locator("#language-select").select_option("en")
    # Without app.js nothing happens until the visitor presses the button.
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.locator("#lang-switch").get_by_role("button", name="切换").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("main h1")).to_have_text("Log in with your mobile number")
    assert not browser_errors, "\n".join(browser_errors)

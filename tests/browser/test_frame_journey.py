"""The site frame in real Chromium: the header, its menu, the footer, help and privacy.

A signed-in consumer on a phone (375x812) and on a desk (1280x900), in Chinese and in
English: on the phone the header is one row at most 72 px tall with a menu button, and the
menu (navigation, account, text size, language, sign-out) opens and closes with the
mouse and the keyboard; on the desk the navigation is in the header's line. The footer of
every page, the 404 page's included, leads to the help page and the privacy notice, in the
reader's language. Long merchant names wrap on a phone instead of being cut.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Merchant
from cases.models import Case
from cases.rulesets import ruleset_for
from tests.browser.pages import assert_fits_the_phone, log_in_by_sms, open_site_menu, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONSUMER_PHONE = "+8613800000001"
PHONE = {"viewport": {"width": 375, "height": 812}}
DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}
HEADER_MAX_ON_A_PHONE = 72

# What the reader sees, by language (the zh_Hans catalogue's words for the English ones).
WORDS = {
    "zh-hans": {
        "lang": "zh-Hans",
        "menu": "菜单",
        "cases": "案件",
        "my_page": "我的主页",
        "disclosure": "投诉公示",
        "help": "帮助",
        "privacy": "隐私说明",
        "help_h1": "帮助",
        "privacy_h1": "隐私说明",
        "working_days": "个工作日",
        "log_out": "退出登录",
        "log_in": "登录",
    },
    "en": {
        "lang": "en",
        "menu": "Menu",
        "cases": "Cases",
        "my_page": "My page",
        "disclosure": "Complaint disclosure",
        "help": "Help",
        "privacy": "Privacy",
        "help_h1": "Help",
        "privacy_h1": "Privacy notice",
        "working_days": "working days",
        "log_out": "Log out",
        "log_in": "Log in",
    },
}

_screenshot = screenshots("frame")


def _menu_link(page: Page, name: str):
    return page.locator("#site-menu nav").get_by_role("link", name=name, exact=True)


def _footer_link(page: Page, name: str):
    return page.locator("footer.site-footer").get_by_role("link", name=name, exact=True)


def _go_by_menu(page: Page, name: str, url: re.Pattern) -> None:
    open_site_menu(page)
    _menu_link(page, name).click()
    expect(page).to_have_url(url)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("screen", ["phone", "desk"])
def test_header_menu_footer_help_and_privacy(
    demo_data, live_daphne, new_page, browser_errors, screen, language
):
    words = WORDS[language]
    on_phone = screen == "phone"
    page = new_page(**(PHONE if on_phone else DESK))
    log_in_by_sms(page, live_daphne, CONSUMER_PHONE, "consumer")
    html = page.locator("html")
    header = page.locator("header.site-header")
    button = page.locator("#menu-button")
    menu = page.locator("#site-menu")
    if language == "en":  # the language switch is in the menu; the choice stays on the account
        open_site_menu(page)
        page.locator("#language-select").select_option("en")
        expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("lang", words["lang"])

    page.goto("/cases/")
    expect(page.locator("#unread-badge")).to_be_visible()  # outside the menu, always shown
    height = header.bounding_box()["height"]
    if on_phone:
        assert height <= HEADER_MAX_ON_A_PHONE, f"the header is {height} px tall on a phone"
        expect(button).to_be_visible()
        expect(button).to_have_accessible_name(words["menu"])
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(button).to_have_attribute("aria-controls", "site-menu")
        expect(menu).to_be_hidden()
        _screenshot(page, f"1-{screen}-{language}-closed")
        # By the mouse: open, then closed again.
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(menu).to_be_visible()
        button.click()
        expect(menu).to_be_hidden()
        # By the keyboard: Enter opens it, Escape closes it and leaves the focus on the button.
        button.focus()
        page.keyboard.press("Enter")
        expect(menu).to_be_visible()
        expect(button).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
        expect(button).to_be_focused()
        expect(button).to_have_attribute("aria-expanded", "false")
        open_site_menu(page)
        assert_fits_the_phone(page, width=375)
        _screenshot(page, f"2-{screen}-{language}-open")
    else:
        expect(button).to_be_hidden()
        expect(menu).to_be_visible()  # the navigation is in the header's line
        expect(_menu_link(page, words["cases"])).to_be_visible()
        expect(header.get_by_role("button", name=words["log_out"])).to_be_visible()
        _screenshot(page, f"1-{screen}-{language}")

    # Every link of the menu goes where it says; the page it leads to is marked current.
    expect(_menu_link(page, words["cases"])).to_have_attribute("aria-current", "page")
    _go_by_menu(page, words["my_page"], re.compile(r"/accounts/consumer/$"))
    _go_by_menu(page, words["disclosure"], re.compile(r"/disclosure/$"))
    _go_by_menu(page, words["help"], re.compile(r"/help/$"))
    open_site_menu(page)
    expect(_menu_link(page, words["help"])).to_have_attribute("aria-current", "page")
    _go_by_menu(page, words["cases"], re.compile(r"/cases/$"))

    # The footer leads to the help page and the privacy notice, in the reader's language.
    _footer_link(page, words["help"]).click()
    expect(page).to_have_url(re.compile(r"/help/$"))
    expect(html).to_have_attribute("lang", words["lang"])
    expect(page.locator("main h1")).to_have_text(words["help_h1"])
    expect(page.locator("#deadlines")).to_contain_text(words["working_days"])
    for step in ("complaint", "negotiation", "review", "mediation", "arbitration", "closure"):
        expect(page.locator(f'#steps [data-step="{step}"] h3')).to_be_visible()
    # The time limits it explains are those of the rules in force today.
    rules = ruleset_for(timezone.localdate())
    for key in ("negotiation_answer", "acceptance_decision", "mediation_limit"):
        amount = str(rules.clock(key).amount)
        expect(page.locator(f'#deadlines [data-clock="{key}"] dt')).to_contain_text(amount)
    expect(page.locator('#contact a[href="tel:12315"]')).to_be_visible()
    expect(page.locator('#verify a[href="/verify/"]')).to_be_visible()
    if on_phone:
        assert_fits_the_phone(page, width=375)
    _screenshot(page, f"3-{screen}-{language}-help")

    _footer_link(page, words["privacy"]).click()
    expect(page).to_have_url(re.compile(r"/privacy/$"))
    expect(html).to_have_attribute("lang", words["lang"])
    expect(page.locator("main h1")).to_have_text(words["privacy_h1"])
    for section in ("kept", "who", "how-long", "rights"):
        expect(page.locator(f"#{section} h2")).to_be_visible()
    if on_phone:
        assert_fits_the_phone(page, width=375)
    _screenshot(page, f"4-{screen}-{language}-privacy")

    # The 404 page has the same frame.
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.locator("#not-found")).to_be_visible()
    expect(_footer_link(page, words["help"])).to_have_attribute("href", "/help/")
    expect(_footer_link(page, words["privacy"])).to_have_attribute("href", "/privacy/")
    _footer_link(page, words["privacy"]).click()
    expect(page).to_have_url(re.compile(r"/privacy/$"))

    # Signing out from the menu: the header offers to sign in again.
    open_site_menu(page)
    header.get_by_role("button", name=words["log_out"]).click()
    expect(page).to_have_url(f"{live_daphne.url}/")
    expect(header.get_by_role("link", name=words["log_in"], exact=True)).to_be_visible()
    expect(header.locator(".who")).to_have_count(0)
    # The 404 is answered on purpose; Chromium logs that, and nothing else.
    assert [re.sub(r"https?://[^/]+", "", e) for e in browser_errors] == [
        "console error (/no-such-page/): Failed to load resource: "
        "the server responded with a status of 404 (Not Found)"
    ]


def test_the_menu_is_open_without_javascript(demo_data, live_daphne, new_page, browser_errors):
    page = new_page(java_script_enabled=False, **PHONE)
    log_in_by_sms(page, live_daphne, CONSUMER_PHONE, "consumer")
    expect(page.locator("#menu-button")).to_be_hidden()
    expect(page.locator("#site-menu")).to_be_visible()
    page.locator("#site-menu nav").get_by_role("link", name="帮助", exact=True).click()
    expect(page).to_have_url(re.compile(r"/help/$"))
    expect(page.locator("header").get_by_role("button", name="退出登录")).to_be_visible()
    assert not browser_errors, "\n".join(browser_errors)


def test_long_merchant_names_wrap_on_a_phone(demo_data, live_daphne, new_page, browser_errors):
    long_name = "临沂市兰山区鲜果汇农产品电子商务贸易有限责任公司金雀山路第二分公司（XianGuoHuiAgriculturalProductsECommerceTradingCoLtd）"
    merchant = Merchant.objects.get(uscc="91371311MA3D0PQ41B")
    Merchant.objects.filter(pk=merchant.pk).update(name=long_name)
    Case.objects.filter(merchant=merchant).update(merchant_name=long_name)
    page = new_page(**PHONE)
    log_in_by_sms(page, live_daphne, CONSUMER_PHONE, "consumer")

    for url, selector in (
        ("/cases/", ".case-item-merchant"),
        (f"/credit/merchants/{merchant.uscc}/", "main h1"),
    ):
        page.goto(url)
        name = page.locator(selector, has_text="XianGuoHui").first
        expect(name).to_have_text(long_name)
        box = name.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (url, box)
        # Wrapped onto several lines, nothing hidden by an overflow.
        assert name.evaluate("(e) => e.scrollWidth <= e.clientWidth"), url
        assert_fits_the_phone(page, width=375)
    assert not browser_errors, "\n".join(browser_errors)

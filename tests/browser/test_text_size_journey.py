"""Text that follows the reader (适老化), in real Chromium on a phone-sized screen.

Body text is in rem, so a browser whose default font is larger shows larger body text;
the header's large-text switch gives 125 % and higher contrast on every page.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import assert_fits_the_phone as _assert_fits_the_phone
from tests.browser.pages import open_site_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = """() => [...document.querySelectorAll("main p, main li, main label")]
    .filter((e) => e.offsetParent !== null && e.textContent.trim())
    .map((e) => parseFloat(getComputedStyle(e).fontSize))"""


def test_body_text_follows_the_browser_and_the_large_text_switch(live_daphne, page):
    page.goto("/")
    sizes = page.evaluate(SIZES)
    assert sizes and min(sizes) >= 16 * 0.95, sizes
    # A reader whose browser's default font is 24 px (the root size is the default).
    page.evaluate("document.documentElement.style.fontSize = '24px'")
    sizes = page.evaluate(SIZES)
    assert min(sizes) >= 22, sizes
    page.goto("/accounts/login/")
    header = page.locator("header.site-header")
    open_site_menu(page)  # on a phone the switch is in the header's menu
    header.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class("large-text")
    expect(page).to_have_url(f"{live_daphne.url}/accounts/login/")
    sizes = page.evaluate(SIZES)
    assert min(sizes) >= 20, sizes
    _assert_fits_the_phone(page)
    # Kept for the next page, and switched off the same way.
    page.goto("/disclosure/")
    expect(page.locator("html")).to_have_class("large-text")
    open_site_menu(page)
    header.get_by_role("button", name="标准字号").click()
    expect(page.locator("html")).not_to_have_class("large-text")

"""Body text follows the browser's own default font size, on every role's main pages.

Chromium's default font size is set as a reader sets it in the browser's settings (the
DevTools protocol's ``Page.setFontSizes``, which is that setting), not by styling the page:
at 24 px, body text on every page is at least 22 px. At the usual 16 px, the large-text
mode (适老化) gives at least 20 px. Measured on what a reader reads in ``main``: paragraphs,
list items, labels, table cells, definitions, buttons and links among them.

The same walk reads each page's visible text as a reader would: no state code, no ISO
timestamp, no time left in weeks or months.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from cases.demo import LATE_DECISION_ORDER
from cases.models import Case, State
from tests.browser.pages import give_staff_password, log_in_as_staff, log_in_by_sms, open_site_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENROLLED_MERCHANT = "91371300MA3C8TXK2D"
# The smallest text in main: each text-bearing element the reader can see, and its size.
SMALLEST = """() => {
  const seen = [...document.querySelectorAll(
      "main p, main li, main label, main td, main th, main dd, main dt, main summary, "
      + "main button, main a, main legend, main input, main select, main textarea")]
    .filter((e) => e.offsetParent !== null && (e.textContent.trim() || e.value))
    .map((e) => [parseFloat(getComputedStyle(e).fontSize),
                 e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + ": "
                 + (e.textContent || e.value).trim().slice(0, 30)]);
  seen.sort((a, b) => a[0] - b[0]);
  return seen.slice(0, 3);
}"""


STATE_CODES = re.compile(
    r"\b(submitted|negotiation|review|mediation_failed|mediation|settled|referred|arbitrating"
    r"|awarded|closed|withdrawn|refused)\b"
)
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
WEEKS_OR_MONTHS = re.compile(r"(剩余|还剩)[^。\n]{0,12}(周|月)")


def _raw_text(text: str) -> list[str]:
    """What a Chinese page must not show its reader."""
    found = []
    for name, pattern in (
        ("state code", STATE_CODES),
        ("ISO time", ISO_TIME),
        ("weeks/months", WEEKS_OR_MONTHS),
    ):
        found += [f"{name}: {m.group(0)}" for m in pattern.finditer(text)]
    return found


def _default_font(page: Page, px: int) -> None:
    """What the reader sets in Chromium's settings (Appearance, font size)."""
    session = page.context.new_cdp_session(page)
    session.send("Page.setFontSizes", {"fontSizes": {"standard": px, "fixed": px}})


def _staff(page: Page, username: str, landing: str) -> None:
    log_in_as_staff(page, give_staff_password(username), landing)


def _pages(demo_data) -> dict[str, list[str]]:
    negotiating = Case.objects.get(consumer=demo_data.consumer, state=State.NEGOTIATION)
    in_mediation = Case.objects.get(state=State.MEDIATION, order_number=LATE_DECISION_ORDER)
    return {
        "anyone": [
            "/",
            "/accounts/login/",
            "/verify/",
            "/help/",
            "/privacy/",
            f"/credit/merchants/{ENROLLED_MERCHANT}/",
            "/nonexistent-page/",
        ],
        "consumer": [
            "/accounts/consumer/",
            "/cases/",
            "/cases/new/?new=1",
            f"/cases/{negotiating.reference}/",
            "/notifications/",
        ],
        "merchant": ["/accounts/merchant/", f"/cases/{negotiating.reference}/"],
        "regulator": ["/cases/review/", "/supervision/"],
        "mediator": [
            "/accounts/mediator/",
            "/mediation/",
            f"/mediation/cases/{in_mediation.reference}/",
        ],
    }


def _sign_in(page: Page, live_daphne, who: str) -> None:
    if who == "consumer":
        log_in_by_sms(page, live_daphne, "+8613800000001", "consumer")
    elif who == "merchant":
        log_in_by_sms(page, live_daphne, "+8613800000002", "merchant")
    elif who in ("regulator", "mediator"):
        _staff(page, who, who)


def _smallest_on(new_page, live_daphne, demo_data, px: int, large_text: bool) -> list[str]:
    too_small = []
    floor = 22 if px == 24 else 20
    for who, urls in _pages(demo_data).items():
        page = new_page(viewport={"width": 375, "height": 812})
        _default_font(page, px)
        _sign_in(page, live_daphne, who)
        if large_text:
            page.goto("/help/")
            open_site_menu(page)
            page.locator("header.site-header").get_by_role("button", name="大字模式").click()
            expect(page.locator("html")).to_have_class("large-text")
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("load")
            smallest = page.evaluate(SMALLEST)
            assert smallest, f"{url}: nothing measured"
            if smallest[0][0] < floor:
                too_small.append(f"{who} {url}: {smallest}")
            raw = _raw_text(page.locator("body").inner_text())
            if raw:
                too_small.append(f"{who} {url} shows {raw}")
        page.context.close()
    return too_small


def test_at_a_24px_default_body_text_is_at_least_22px(
    demo_data, live_daphne, new_page, browser_errors
):
    too_small = _smallest_on(new_page, live_daphne, demo_data, 24, large_text=False)
    assert not too_small, "\n".join(too_small)
    assert not [e for e in browser_errors if "404" not in e], "\n".join(browser_errors)


def test_large_text_gives_at_least_20px_from_a_16px_default(
    demo_data, live_daphne, new_page, browser_errors
):
    too_small = _smallest_on(new_page, live_daphne, demo_data, 16, large_text=True)
    assert not too_small, "\n".join(too_small)
    assert not [e for e in browser_errors if "404" not in e], "\n".join(browser_errors)

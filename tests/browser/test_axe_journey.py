"""Accessibility, checked by axe-core in real Chromium on the main pages of every role.

The bar is no violation of any impact (axe's default rules: WCAG 2.x A and AA and its
best practices), on a 375x812 phone in Chinese and on a 1280x900 screen in English, with
the header's menu open where it folds. axe-core is vendored (tests/browser/vendor/, with its
licence); the test serves it to the page from the page's own origin, since the
Content-Security-Policy refuses the inline script that ``add_script_tag(path=...)`` makes.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Merchant, User
from cases.demo import LATE_DECISION_ORDER
from cases.models import Case, ComplaintDraft, State
from cases.tests import factories as f
from documents.kinds import Kind
from documents.models import Document
from tests.browser.pages import give_staff_password, log_in_as_staff, log_in_by_sms, open_site_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
AXE_URL = "/__tests__/axe-core.js"  # answered by the test's route; never reaches the server
RUN_AXE = """async () => (await axe.run(document)).violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " "))
}))"""

SCREENS = {
    "phone-zh-hans": ({"viewport": {"width": 375, "height": 812}}, "zh-hans"),
    "desk-en": (
        {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False},
        "en",
    ),
}
CONSUMER_PHONE = "+8613800000001"
MERCHANT_STAFF_PHONE = "+8613800000002"
ENROLLED_MERCHANT = "91371300MA3C8TXK2D"


def _open(new_page, live_daphne, screen: str) -> Page:
    options, language = SCREENS[screen]
    page = new_page(**options)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_daphne.url}]
    )
    page.context.route(
        f"**{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript")
    )
    return page


def _violations(page: Page, name: str) -> list[str]:
    """axe's violations on the page as it is now, one line each, named after the page."""
    page.add_script_tag(url=AXE_URL)
    return [
        f"{name} ({page.url}): [{v['impact']}] {v['id']}, {v['help']}: " + " | ".join(v["nodes"])
        for v in page.evaluate(RUN_AXE)
    ]


def _check(page: Page, name: str, found: list[str]) -> None:
    """Run axe on the page, and again with the header's menu open where it is folded."""
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^(zh-Hans|en)$"))
    found += _violations(page, name)
    if page.locator("#menu-button").is_visible():
        open_site_menu(page)
        found += _violations(page, f"{name}, menu open")


def _filled_draft(consumer: User) -> ComplaintDraft:
    merchant = Merchant.objects.get(uscc=ENROLLED_MERCHANT)
    bought = timezone.localdate() - dt.timedelta(days=7)
    return ComplaintDraft.objects.create(
        consumer=consumer,
        data={
            "merchant": merchant.pk,
            "category": "goods.electronics",
            "purchase_date": bought.isoformat(),
            "amount": "399.00",
            "order_number": "AXE-1",
            "platform": "淘宝",
            "facts": "收到的耳机右耳无声。",
            "request": "退款 399 元。",
            "complainant_name": consumer.display_name,
            "complainant_phone": consumer.phone,
            "complainant_address": "山东省临沂市兰山区金雀山路 1 号",
            "agrees_to_delegated_mediation": True,
        },
    )


def _assert_none(found: list[str]) -> None:
    assert not found, f"{len(found)} axe violation(s):\n" + "\n".join(found)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_public_pages(demo_data, live_daphne, new_page, browser_errors, screen):
    page = _open(new_page, live_daphne, screen)
    found: list[str] = []
    for name, url in (
        ("home", "/"),
        ("sign-in", "/accounts/login/"),
        ("verify", "/verify/"),
        ("help", "/help/"),
        ("privacy", "/privacy/"),
        ("credit file", f"/credit/merchants/{ENROLLED_MERCHANT}/"),
    ):
        page.goto(url)
        _check(page, name, found)
    _assert_none(found)
    assert not browser_errors, "\n".join(browser_errors)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_consumer_pages(demo_data, live_daphne, new_page, browser_errors, screen):
    consumer = demo_data.consumer
    negotiating = Case.objects.get(consumer=consumer, state=State.NEGOTIATION)
    draft = _filled_draft(consumer)
    page = _open(new_page, live_daphne, screen)
    log_in_by_sms(page, live_daphne, CONSUMER_PHONE, "consumer")
    found: list[str] = []

    page.goto("/cases/")
    expect(page.locator("main .case-list")).to_be_visible()
    _check(page, "case list", found)

    # The wizard's first step, with the merchants found for a search.
    page.goto("/cases/new/?new=1")
    expect(page).to_have_url(re.compile(r"/cases/new/\d+/merchant/$"))
    page.locator("#merchant-q").fill("优品")
    expect(page.locator("#merchant-results .merchant-result").first).to_be_visible()
    _check(page, "wizard, first step", found)

    page.goto(f"/cases/new/{draft.pk}/review/")
    expect(page.locator('[data-section="facts"]')).to_be_visible()
    _check(page, "wizard, review step", found)

    page.goto(f"/cases/{negotiating.reference}/")
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "negotiation")
    _check(page, "case page in negotiation", found)
    _assert_none(found)
    assert not browser_errors, "\n".join(browser_errors)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_merchant_home(demo_data, live_daphne, new_page, browser_errors, screen):
    page = _open(new_page, live_daphne, screen)
    log_in_by_sms(page, live_daphne, MERCHANT_STAFF_PHONE, "merchant")
    found: list[str] = []
    _check(page, "merchant's home", found)
    _assert_none(found)
    assert not browser_errors, "\n".join(browser_errors)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_regulator_pages(demo_data, live_daphne, new_page, browser_errors, screen):
    regulator = give_staff_password("regulator")
    page = _open(new_page, live_daphne, screen)
    log_in_as_staff(page, regulator, "regulator")
    found: list[str] = []
    page.goto("/cases/review/")
    expect(page.locator("main .case-item").first).to_be_visible()
    _check(page, "review queue", found)
    page.goto("/supervision/")
    expect(page.locator('[data-figure="total"]')).to_be_visible()
    _check(page, "supervision dashboard", found)
    _assert_none(found)
    assert not browser_errors, "\n".join(browser_errors)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_mediator_pages(demo_data, live_daphne, new_page, browser_errors, screen):
    mediator = give_staff_password("mediator")
    in_mediation = Case.objects.get(state=State.MEDIATION, order_number=LATE_DECISION_ORDER)
    ref = in_mediation.reference
    page = _open(new_page, live_daphne, screen)
    log_in_as_staff(page, mediator, "mediator")
    found: list[str] = []
    page.goto("/mediation/")
    expect(page.locator(f'[data-case-row="{ref}"]')).to_be_visible()
    _check(page, "mediator's console", found)
    page.goto(f"/mediation/cases/{ref}/")
    panel = page.locator("[data-med-panel]")
    expect(panel).to_have_attribute("data-connection", "open")
    expect(panel.locator('[data-log="joint"] li.msg').first).to_be_visible()
    _check(page, "mediation room", found)
    _assert_none(found)
    assert not browser_errors, "\n".join(browser_errors)


@pytest.fixture
def issued_document(document_signing, settings, transactional_db) -> Document:
    """A signed acceptance decision. Signed here, in the test process, with the server's
    PKI, before the browser's event loop is marked running (pyHanko runs a loop of its
    own): requested before ``new_page``."""
    for name, value in document_signing.env().items():
        setattr(settings, name, [value] if name == "DOCUMENTS_TRUST_ROOTS" else value)
    case = f.case_in(State.MEDIATION, f.cast())
    return Document.objects.get(case=case, kind=Kind.ACCEPTANCE_NOTICE)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_documents_verification_page(
    issued_document, live_daphne, new_page, browser_errors, screen
):
    page = _open(new_page, live_daphne, screen)
    page.goto(f"/verify/{issued_document.number}/")
    expect(page.locator("[data-verdict]")).to_be_visible()
    found: list[str] = []
    _check(page, "a document's verification page", found)
    _assert_none(found)
    assert not browser_errors, "\n".join(browser_errors)

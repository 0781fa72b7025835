"""The case page, live and with its next step first, in real Chromium.

Two people on the same case, each with the page open: what one does appears on the
other's page without a reload (the case socket tells the page, the page fetches itself),
and what the reader is typing is never replaced. The panel at the top says who must act
and holds the one next action; an act that cannot be undone asks once more.
Run on a phone (375×812) in Chinese and on a desktop (1280×900) in English.
"""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Merchant, User
from cases.models import Case
from cases.tests import factories as cf
from tests.browser.pages import assert_fits_the_phone, log_in_by_sms, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MERCHANT = "临沂优品电子商贸有限公司"
LIVE_MS = 3000  # the bar: within 3 s, no reload
PHONE = {"viewport": {"width": 375, "height": 812}}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

_screenshot = screenshots("case-live")


def _case(demo_data) -> Case:
    case = cf.submit(consumer=demo_data.consumer, merchant=Merchant.objects.get(name=MERCHANT))
    assert case.state == "negotiation"
    return case


def _no_reload_marker(page: Page) -> None:
    """A mark that a reload would wipe: the page must still carry it at the end."""
    page.evaluate("window.__noReload = 'still here'")


def _still_same_page(page: Page) -> None:
    assert page.evaluate("window.__noReload") == "still here"


def _offer(merchant: Page, text: str, amount: str) -> None:
    form = merchant.locator("#offer-form")
    if not form.is_visible():
        merchant.locator("details.new-offer > summary").click()
    form.locator("select[name=kind]").select_option("refund")
    form.locator("input[name=amount]").fill(amount)
    form.locator("textarea[name=description]").fill(text)
    form.locator("button[type=submit]").click()
    expect(merchant.locator("ul.offers")).to_contain_text(text)


def _message(page: Page, text: str) -> None:
    page.locator("#message-form textarea[name=body]").fill(text)
    page.locator('#message-form button[data-action="send"]').click()
    expect(page.locator("#messages-feed")).to_contain_text(text)


def test_the_case_page_is_live_and_says_what_to_do_next(
    demo_data, live_daphne, new_page, browser_errors
):
    case = _case(demo_data)
    url = f"/cases/{case.reference}/"
    consumer = new_page(**PHONE)
    log_in_by_sms(consumer, live_daphne, "+8613800000001", "consumer")
    consumer.goto(url)
    merchant = new_page(**PHONE)
    log_in_by_sms(merchant, live_daphne, "+8613800000002", "merchant")
    merchant.goto(url)

    # The merchant is the one to act: the panel says so and holds "make an offer".
    expect(merchant.locator("#next")).to_have_class("card next-step is-mine")
    expect(merchant.locator("#next h2")).to_have_text("您的下一步")
    expect(merchant.locator("#next [data-next-primary]")).to_have_text("提出和解方案")
    expect(consumer.locator("#next h2")).to_have_text("接下来")
    expect(consumer.locator("#next .next-text")).to_contain_text("正在等待对方答复")
    expect(consumer.locator("#next .next-due")).to_contain_text("个工作日")
    assert_fits_the_phone(consumer, 375)
    _no_reload_marker(consumer)

    # The merchant's message and offer reach the consumer's open page, no reload.
    _message(merchant, "您好，我们同意退款。")
    expect(consumer.locator("#messages-feed")).to_contain_text(
        "您好，我们同意退款。", timeout=LIVE_MS
    )
    _offer(merchant, "退款 300 元。", "300")
    offer = consumer.locator("li.offer-decidable", has_text="退款 300 元。")
    expect(offer).to_be_visible(timeout=LIVE_MS)
    expect(consumer.locator("#next .next-text")).to_contain_text(
        "对方提出了和解方案", timeout=LIVE_MS
    )
    primary = consumer.locator("#next [data-next-primary]")
    expect(primary).to_have_text("答复方案")
    offer_id = offer.get_attribute("data-offer")
    expect(primary).to_have_attribute("href", f"#offer-{offer_id}")
    _still_same_page(consumer)
    _screenshot(consumer, "1-offer-arrived")

    # What the consumer is typing stays while the merchant's next message comes in.
    box = consumer.locator("#message-form textarea[name=body]")
    box.fill("我想再问一下")
    _message(merchant, "请问您方便吗？")
    expect(consumer.locator("#messages-feed")).to_contain_text("请问您方便吗？", timeout=LIVE_MS)
    expect(box).to_have_value("我想再问一下")
    _still_same_page(consumer)

    # Declining asks once more; "go back" leaves the offer open.
    offer.locator("details.decide-reject > summary").click()
    offer.locator("textarea[name=reason]").fill("金额太少")
    offer.locator("button[data-reject]").click()
    dialog = consumer.locator("dialog.confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("确定拒绝这个方案吗")
    assert_fits_the_phone(consumer, 375)
    _screenshot(consumer, "2-decline-asks")
    dialog.locator("[data-confirm-no]").click()
    expect(dialog).to_have_count(0)
    assert Case.objects.get(pk=case.pk).offers.get().status == "open"

    # The consumer accepts: the merchant's open page shows the case settled, no reload.
    _no_reload_marker(merchant)
    offer.locator("details.decide-accept > summary").click()
    offer.locator("button[data-accept]").click()
    expect(consumer.locator("h1 [data-state]")).to_have_attribute("data-state", "settled")
    expect(merchant.locator("h1 [data-state]")).to_have_attribute(
        "data-state", "settled", timeout=LIVE_MS
    )
    expect(merchant.locator("#next .next-text")).to_contain_text("请在期限内履行约定的内容")
    _still_same_page(merchant)

    # After a settlement the consumer is not offered to withdraw; confirming that it was
    # done is the next step, and it asks first because it closes the case.
    expect(consumer.locator('details[data-transition="withdraw"]')).to_have_count(0)
    expect(consumer.locator("#next .next-text")).to_contain_text("商家履行约定后")
    consumer.locator("#next [data-next-primary]").click()
    action = consumer.locator("#action-confirm_performance")
    expect(action).to_have_attribute("open", "")
    action.locator("button[type=submit]").click()
    expect(dialog).to_contain_text("确认后案件即告结束")
    dialog.locator("[data-confirm-yes]").click()
    expect(consumer.locator("h1 [data-state]")).to_have_attribute("data-state", "closed")
    expect(merchant.locator("h1 [data-state]")).to_have_attribute(
        "data-state", "closed", timeout=LIVE_MS
    )
    expect(consumer.locator("#next [data-next-primary]")).to_contain_text("评价")
    _screenshot(consumer, "3-closed")
    assert Case.objects.get(pk=case.pk).state == "closed"
    assert not browser_errors, "\n".join(browser_errors)


def test_in_english_on_a_desktop(demo_data, live_daphne, new_page, browser_errors):
    User.objects.filter(pk=demo_data.consumer.pk).update(language="en")
    case = _case(demo_data)
    url = f"/cases/{case.reference}/"
    consumer = new_page(**DESKTOP)
    log_in_by_sms(consumer, live_daphne, "+8613800000001", "consumer")
    consumer.goto(url)
    expect(consumer.locator("html")).to_have_attribute("lang", "en")
    expect(consumer.locator("#next h2")).to_have_text("What happens next")
    expect(consumer.locator("#next .next-due")).to_contain_text("working day")
    _no_reload_marker(consumer)

    merchant = new_page(**DESKTOP)
    log_in_by_sms(merchant, live_daphne, "+8613800000002", "merchant")
    merchant.goto(url)
    _offer(merchant, "退款 300 元。", "300")
    expect(consumer.locator("#next .next-text")).to_contain_text(
        "The other side has made an offer", timeout=LIVE_MS
    )
    expect(consumer.locator("#next [data-next-primary]")).to_have_text("Answer the offer")
    _still_same_page(consumer)
    _screenshot(consumer, "4-english-desktop")
    assert not browser_errors, "\n".join(browser_errors)

"""The case workflow in real Chromium: a complaint with a photo, an offer, a counter-offer,
acceptance, and both sides see the case settled.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case
from cases.tests.test_views import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, live_daphne, phone: str) -> None:
    page.goto("/accounts/login/")
    page.locator("main input[name=phone]").fill(phone.removeprefix("+86"))
    page.locator("main form button[type=submit]").first.click()
    code = live_daphne.latest_code(to=phone)
    page.locator("main input[name=code]").fill(code)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/(consumer|merchant)/$"))


def test_complaint_offer_counter_accept(demo_data, live_daphne, new_page, browser_errors, tmp_path):
    photo = tmp_path / "broken-earphones.png"
    photo.write_bytes(png_bytes())
    consumer = new_page()
    _log_in(consumer, live_daphne, "+8613800000001")

    # File the complaint in five steps.
    consumer.goto("/cases/new/?new=1")
    consumer.locator("#merchant-q").fill("优品")
    consumer.locator("form.search button[type=submit]").click()
    consumer.locator("#merchant-results button", has_text="临沂优品电子商贸有限公司").click()
    expect(consumer.locator(".chosen")).to_contain_text("临沂优品电子商贸有限公司")
    consumer.locator("main form.form:not(.search) button[type=submit]").click()
    consumer.locator("select[name=category]").select_option("goods.electronics")
    consumer.locator("input[name=purchase_date]").fill("2026-11-20")
    consumer.locator("input[name=amount]").fill("399.00")
    consumer.locator("input[name=order_number]").fill("JOURNEY-1")
    consumer.locator("textarea[name=facts]").fill("收到的耳机右耳无声。")
    consumer.locator("main form button[type=submit]").click()
    consumer.locator("textarea[name=request]").fill("退款 399 元。")
    consumer.locator("input[name=complainant_address]").fill("山东省临沂市兰山区金雀山路 1 号")
    consumer.locator("main form button[type=submit]").click()
    consumer.locator("input[name=file]").set_input_files(str(photo))
    consumer.locator("main form[enctype] button[type=submit]").click()
    expect(consumer.locator("ul.files")).to_contain_text("broken-earphones.png")
    consumer.locator("main a.button").last.click()
    expect(consumer.locator("dl.summary")).to_contain_text("收到的耳机右耳无声。")
    consumer.locator("main form button[type=submit]").click()
    expect(consumer).to_have_url(re.compile(r"/cases/LY-\d{4}-\d{6}/$"))
    reference = consumer.url.rstrip("/").rsplit("/", 1)[1]
    expect(consumer.locator("[data-state]")).to_have_attribute("data-state", "negotiation")
    expect(consumer.locator("#evidence")).to_contain_text("broken-earphones.png")

    # The merchant answers with an offer.
    merchant = new_page()
    _log_in(merchant, live_daphne, "+8613800000002")
    merchant.goto("/cases/")
    merchant.get_by_role("link", name=reference).click()
    merchant.locator("#offer-form select[name=kind]").select_option("refund")
    merchant.locator("#offer-form input[name=amount]").fill("200")
    merchant.locator("#offer-form textarea[name=description]").fill("退款 200 元。")
    merchant.locator("#offer-form button[type=submit]").click()
    expect(merchant.locator("ul.offers")).to_contain_text("退款 200 元。")

    # The consumer counters.
    consumer.reload()
    expect(consumer.locator("ul.offers")).to_contain_text("退款 200 元。")
    consumer.locator("#offer-form select[name=kind]").select_option("refund")
    consumer.locator("#offer-form input[name=amount]").fill("399")
    consumer.locator("#offer-form textarea[name=description]").fill("全额退款 399 元。")
    consumer.locator("#offer-form button[type=submit]").click()
    expect(consumer.locator("ul.offers")).to_contain_text("全额退款 399 元。")

    # The merchant accepts the counter-offer.
    merchant.reload()
    merchant.locator("li.offer-open button[data-accept]").click()
    expect(merchant.locator("[data-state]")).to_have_attribute("data-state", "settled")
    consumer.reload()
    expect(consumer.locator("[data-state]")).to_have_attribute("data-state", "settled")
    expect(consumer.locator(".terms")).to_contain_text("全额退款 399 元。")

    case = Case.objects.get(reference=reference)
    assert case.state == "settled"
    assert case.settlement_terms["amount"] == "399.00"
    assert case.evidence.get().original_name == "broken-earphones.png"
    assert not browser_errors, "\n".join(browser_errors)

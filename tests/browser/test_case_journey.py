"""The case workflow in real Chromium on a phone: a complaint with a photo, an offer, a
counter-offer, acceptance, and both sides see the case settled.

The demo merchant 临沂优品电子商贸有限公司 answers on the platform (seed_demo enrols it in
ODR), so the complaint goes to negotiation with it.
"""

import datetime as dt
import io
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from accounts.models import Merchant
from cases.models import Case, ComplaintDraft, Message, Offer
from tests.browser.pages import assert_fits_the_phone as _assert_fits_the_phone
from tests.browser.pages import log_in_by_sms, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MERCHANT = "临沂优品电子商贸有限公司"

_screenshot = screenshots("cases")


def _photo(path: Path) -> Path:
    """A small real photo-like PNG: a grey earphone on a white table."""
    image = Image.new("RGB", (160, 120), (250, 250, 248))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 30, 80, 70), fill=(90, 90, 96))
    draw.ellipse((90, 30, 130, 70), fill=(90, 90, 96))
    draw.arc((50, 10, 120, 90), start=180, end=360, fill=(60, 60, 60), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def test_complaint_offer_counter_accept(demo_data, live_daphne, new_page, browser_errors, tmp_path):
    assert Merchant.objects.get(name=MERCHANT).odr_joined_on is not None
    photo = _photo(tmp_path / "耳机照片.png")
    bought = (timezone.localdate() - dt.timedelta(days=7)).isoformat()

    consumer = new_page()
    log_in_by_sms(consumer, live_daphne, "+8613800000001", "consumer")

    # The consumer's page lists their cases and offers to file a complaint.
    expect(consumer.locator("main .case-list")).to_be_visible()
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "0-consumer-home")
    consumer.locator('main a[data-action="file"]').click()

    # Step 1: find the merchant (htmx searches as one types) and choose it.
    expect(consumer).to_have_url(re.compile(r"/cases/new/\d+/merchant/$"))
    expect(consumer.locator("html")).to_have_attribute("lang", "zh-Hans")
    consumer.locator("#merchant-q").fill("优品")
    result = consumer.locator("#merchant-results .merchant-result", has_text=MERCHANT)
    expect(result).to_be_visible()
    expect(result.locator(".badge")).to_be_visible()
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "1-wizard-merchant")
    result.locator("button[data-choose]").click()
    expect(consumer.locator(".chosen")).to_contain_text(MERCHANT)
    consumer.locator('button[data-action="next"]').click()

    # Step 2: what happened.
    expect(consumer).to_have_url(re.compile(r"/cases/new/\d+/facts/$"))
    consumer.locator("select[name=category]").select_option("goods.electronics")
    consumer.locator("input[name=purchase_date]").fill(bought)
    consumer.locator("input[name=amount]").fill("399.00")
    consumer.locator("input[name=order_number]").fill("JOURNEY-1")
    consumer.locator("input[name=platform]").fill("淘宝")
    consumer.locator("textarea[name=facts]").fill("收到的耳机右耳无声。")
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "2-wizard-facts")
    consumer.locator('button[data-action="next"]').click()

    # Step 3: what the consumer asks for; name and phone come from the account.
    expect(consumer).to_have_url(re.compile(r"/cases/new/\d+/request/$"))
    expect(consumer.locator("input[name=complainant_name]")).to_have_value("张三")
    expect(consumer.locator("input[name=complainant_phone]")).to_have_value("+8613800000001")
    consumer.locator("textarea[name=request]").fill("退款 399 元。")
    consumer.locator("input[name=complainant_address]").fill("山东省临沂市兰山区金雀山路 1 号")
    consumer.locator('button[data-action="next"]').click()

    # Step 4: the photo.
    expect(consumer).to_have_url(re.compile(r"/cases/new/\d+/evidence/$"))
    consumer.locator("input[name=file]").set_input_files(str(photo))
    consumer.locator("input[name=description]").fill("右耳无声")
    consumer.locator('button[data-action="upload"]').click()
    expect(consumer.locator("ul.files")).to_contain_text("耳机照片.png")
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "3-wizard-evidence")
    consumer.locator('a[data-action="next"]').click()

    # Step 5: review and submit.
    expect(consumer).to_have_url(re.compile(r"/cases/new/\d+/review/$"))
    expect(consumer.locator('[data-section="facts"]')).to_contain_text("收到的耳机右耳无声。")
    expect(consumer.locator('[data-section="merchant"]')).to_contain_text(MERCHANT)
    expect(consumer.locator('[data-section="evidence"]')).to_contain_text("耳机照片.png")
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "4-wizard-review")
    consumer.locator('button[data-action="submit"]').click()

    expect(consumer).to_have_url(re.compile(r"/cases/LY-\d{4}-\d{6}/$"))
    reference = consumer.url.rstrip("/").rsplit("/", 1)[1]
    expect(consumer.locator("h1 [data-state]")).to_have_attribute("data-state", "negotiation")
    expect(consumer.locator("#evidence")).to_contain_text("耳机照片.png")
    expect(consumer.locator('#deadlines [data-clock="negotiation_answer"]')).to_be_visible()

    # The consumer writes to the merchant; htmx puts the message in place without a reload.
    # (Before any screenshot: Playwright leaves empty style attributes behind, which htmx
    # would copy while swapping, and the CSP rightly refuses.)
    consumer.locator("#message-form textarea[name=body]").fill("请尽快处理，谢谢。")
    consumer.locator('#message-form button[data-action="send"]').click()
    expect(consumer.locator("#messages .messages-list")).to_contain_text("请尽快处理，谢谢。")
    expect(consumer.locator("#message-form textarea[name=body]")).to_have_value("")
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "5-case-consumer")

    # The merchant finds the complaint in its inbox and makes an offer.
    merchant = new_page()
    log_in_by_sms(merchant, live_daphne, "+8613800000002", "merchant")
    _assert_fits_the_phone(merchant)
    _screenshot(merchant, "6-merchant-inbox")
    merchant.locator(f'main [data-case="{reference}"] a').click()
    expect(merchant).to_have_url(re.compile(rf"/cases/{reference}/$"))
    expect(merchant.locator("#messages")).to_contain_text("请尽快处理，谢谢。")
    offer_form = merchant.locator("#offer-form")
    expect(offer_form).to_be_visible()
    offer_form.locator("select[name=kind]").select_option("refund")
    offer_form.locator("input[name=amount]").fill("200")
    offer_form.locator("textarea[name=description]").fill("退款 200 元。")
    offer_form.locator("button[type=submit]").click()
    expect(merchant.locator("ul.offers")).to_contain_text("退款 200 元。")
    _assert_fits_the_phone(merchant)
    _screenshot(merchant, "6b-case-merchant-offer")

    # The consumer counters the merchant's offer.
    consumer.reload()
    theirs = consumer.locator("li.offer-decidable", has_text="退款 200 元。")
    expect(theirs).to_be_visible()
    theirs.locator("details.decide-counter > summary").click()
    counter = theirs.locator("form[data-counter]")
    counter.locator("input[name=amount]").fill("399")
    counter.locator("textarea[name=description]").fill("全额退款 399 元。")
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "7-case-consumer-counter")
    counter.locator("button[type=submit]").click()
    expect(consumer.locator('li.offer[data-status="countered"]')).to_contain_text("退款 200 元。")
    expect(consumer.locator('li.offer[data-status="open"]')).to_contain_text("全额退款 399 元。")

    # The merchant accepts the counter-offer: the case is settled.
    merchant.reload()
    mine = merchant.locator("li.offer-decidable", has_text="全额退款 399 元。")
    mine.locator("details.decide-accept > summary").click()
    mine.locator("button[data-accept]").click()
    expect(merchant.locator("h1 [data-state]")).to_have_attribute("data-state", "settled")
    expect(merchant.locator(".terms")).to_contain_text("全额退款 399 元。")

    consumer.reload()
    expect(consumer.locator("h1 [data-state]")).to_have_attribute("data-state", "settled")
    expect(consumer.locator(".terms")).to_contain_text("全额退款 399 元。")
    expect(consumer.locator('#deadlines [data-clock="performance"]')).to_be_visible()
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "8-case-settled")

    case = Case.objects.get(reference=reference)
    assert case.state == "settled"
    assert case.settlement_terms["amount"] == "399.00"
    assert case.settlement_terms["description"] == "全额退款 399 元。"
    assert (case.amount, case.order_number, case.platform) == (
        Decimal("399.00"),
        "JOURNEY-1",
        "淘宝",
    )
    assert case.evidence.get().original_name == "耳机照片.png"
    assert list(Offer.objects.filter(case=case).values_list("side", "status")) == [
        ("merchant", "countered"),
        ("consumer", "accepted"),
    ]
    assert list(Message.objects.filter(case=case).values_list("author_role", "body")) == [
        ("consumer", "请尽快处理，谢谢。")
    ]
    assert not browser_errors, "\n".join(browser_errors)


def test_a_closed_tab_loses_nothing(demo_data, live_daphne, new_page, browser_errors):
    page = new_page()
    log_in_by_sms(page, live_daphne, "+8613800000001", "consumer")
    page.goto("/cases/new/?new=1")
    draft = ComplaintDraft.objects.get(consumer__phone="+8613800000001")
    page.goto(f"/cases/new/{draft.pk}/facts/")
    page.locator("select[name=category]").select_option("goods.food")
    page.locator("textarea[name=facts]").fill("写了一半就关掉了")
    # No "Next": static/js/cases.js sends what was typed as the page goes away.
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 5
    while not draft.data.get("facts") and time.monotonic() < deadline:
        time.sleep(0.05)
        draft.refresh_from_db()
    assert (draft.data["facts"], draft.data["category"]) == ("写了一半就关掉了", "goods.food")
    assert not browser_errors, "\n".join(browser_errors)


def test_the_wizard_works_without_javascript(demo_data, live_daphne, new_page, browser_errors):
    page = new_page(java_script_enabled=False)
    log_in_by_sms(page, live_daphne, "+8613800000001", "consumer")
    page.goto("/cases/new/?new=1")
    page.locator("#merchant-q").fill("优品")
    page.locator("form.search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/new/\d+/merchant/\?"))
    page.locator(".merchant-result", has_text=MERCHANT).locator("button[data-choose]").click()
    expect(page.locator(".chosen")).to_contain_text(MERCHANT)
    page.locator('button[data-action="next"]').click()
    # A refusal comes back next to its field, and what was typed is still there.
    page.locator("textarea[name=facts]").fill("收到的耳机右耳无声。")
    page.locator('button[data-action="next"]').click()
    expect(page.locator(".field.has-error select[name=category]")).to_be_visible()
    expect(page.locator("textarea[name=facts]")).to_have_value("收到的耳机右耳无声。")
    _assert_fits_the_phone(page)
    # The refused step is answered 400 on purpose; Chromium logs that, and nothing else.
    assert [re.sub(r"https?://[^/]+", "", e) for e in browser_errors] == [
        f"console error ({page.url.split(live_daphne.url)[1]}): Failed to load resource: "
        "the server responded with a status of 400 (Bad Request)"
    ]

"""Consent to arbitration in real Chromium on a phone: after mediation fails, the
consumer chooses an arbitration body and asks for the agreement, reads the PDF the
documents app drafted and confirms it with an SMS code; a referral with only that
signature is refused with a message naming the merchant's; the merchant's staff confirm
the same PDF with their own code; the consumer refers the case (the consumer or the
mediator may; the merchant may not) and both parties see it referred.

The server signs documents here (``document_signing``): the agreement is a real PDF,
rendered in the request that proposes it (the server's Celery is eager), and each
party's confirmation records the SHA-256 of the exact draft they downloaded.
"""

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from arbitration.models import Agreement, Referral
from arbitration.tests import factories as f
from cases.models import Case, CaseEvent, State
from cases.tests import factories as cf
from documents.kinds import Kind
from documents.models import ConfirmationCode, Document
from tests.browser.pages import assert_fits_the_phone as _assert_fits_the_phone
from tests.browser.pages import log_in_by_sms, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Rendering the agreement (fonts, layout, signature) happens inside the proposing request
# and, after the second confirmation, the signing inside the confirming one.
RENDER_TIMEOUT_MS = 60_000
# The confirmation SMS starts with the code and ends with the document number
# (LY-2026-000001-AG1-...), whose sequence part is six digits too: the code is the first
# six digits not joined to a hyphen.
CONFIRMATION_CODE = re.compile(r"(?<![\d-])(\d{6})(?![\d-])")

_screenshot = screenshots("arbitration-consent")


def _confirmation_code(live_daphne, phone: str, number: str) -> str:
    body = live_daphne.latest_sms(to=phone)["body"]
    assert number in body, f"the newest SMS to {phone} is not about {number}: {body!r}"
    found = CONFIRMATION_CODE.findall(body)
    assert len(found) == 1, f"expected one code in the SMS, found {found}: {body!r}"
    assert body.index(found[0]) < body.index(number), "the code comes first in the SMS"
    return found[0]


def _sign(page: Page, live_daphne, phone: str, name: str) -> tuple[str, str]:
    """From the case's arbitration page: read the draft, get a code, confirm.

    Returns the document number and the SHA-256 of the PDF this party downloaded.
    """
    page.locator("#sign-agreement").click()
    expect(page).to_have_url(re.compile(r"/verify/[A-Z0-9-]+/confirm/$"))
    number = page.url.rstrip("/").split("/")[-2]
    expect(page.locator("h1")).to_have_text("仲裁协议书")
    shown = page.locator("code[data-sha256]").inner_text().strip()
    with page.expect_download() as download:
        page.locator('a[data-action="download"]').click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    seen = hashlib.sha256(pdf).hexdigest()
    assert seen == shown, "the page shows the SHA-256 of another file than the one downloaded"
    _assert_fits_the_phone(page)  # the 64-character hash wraps
    _screenshot(page, f"{name}-read")

    page.get_by_role("button", name="通过短信向我发送验证码").click()
    expect(page.locator("ul.messages")).to_contain_text("我们已向您的手机发送了 6 位验证码。")
    code_field = page.locator("main input[name=code]")
    code_field.fill(_confirmation_code(live_daphne, phone, number))
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text(
        "谢谢，您的确认已记录。", timeout=RENDER_TIMEOUT_MS
    )
    _assert_fits_the_phone(page)
    _screenshot(page, f"{name}-confirmed")
    return number, seen


def test_both_parties_sign_then_the_consumer_refers(
    document_signing, live_daphne, new_page, browser_errors
):
    c = cf.cast()
    f.profile(c.body)
    case = f.failed_case(c)
    reference = case.reference
    body = c.body.name

    # The consumer opens the failed case on their phone and goes to its arbitration page.
    consumer = new_page()
    log_in_by_sms(consumer, live_daphne, c.consumer.phone, "consumer")
    consumer.goto(f"/cases/{reference}/")
    expect(consumer.locator("h1 [data-state]")).to_have_attribute("data-state", "mediation_failed")
    consumer.locator("a[data-arbitration]").click()
    expect(consumer).to_have_url(re.compile(rf"/arbitration/cases/{reference}/$"))
    expect(consumer.locator("main")).to_contain_text("约定仲裁")
    expect(consumer.locator("#agreement")).to_have_count(0)
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "0-consumer-choose")

    # They choose the body and propose the agreement; the server drafts the PDF.
    consumer.get_by_label("仲裁机构").select_option(label=body)
    consumer.locator('button[data-action="propose"]').click(timeout=RENDER_TIMEOUT_MS)
    expect(consumer.locator("ul.messages")).to_contain_text(
        "已提出仲裁协议，请双方当事人以短信验证码确认。", timeout=RENDER_TIMEOUT_MS
    )
    agreement_card = consumer.locator("#agreement")
    expect(agreement_card).to_contain_text(f"双方选定{body}。")
    expect(agreement_card.locator('[data-signed="consumer-no"]')).to_contain_text("尚未签署")
    expect(agreement_card.locator('[data-signed="merchant-no"]')).to_contain_text("尚未签署")
    expect(consumer.locator("#sign-agreement")).to_have_text("阅读并签署协议")
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "1-consumer-proposed")

    # The consumer reads the draft and confirms it with the code sent to their phone.
    number, consumer_saw = _sign(consumer, live_daphne, c.consumer.phone, "2-consumer")
    expect(consumer.locator("main")).to_contain_text("您方已确认，正在等待对方确认。")

    # Back on the arbitration page: their signature is there, the merchant's is awaited.
    consumer.goto(f"/arbitration/cases/{reference}/")
    agreement_card = consumer.locator("#agreement")
    expect(agreement_card.locator('[data-signed="consumer-yes"]')).to_have_text("消费者：已签署")
    expect(agreement_card.locator('[data-signed="merchant-no"]')).to_have_text("经营者：尚未签署")
    # Signed: the link now only reads the agreement.
    expect(consumer.locator("#sign-agreement")).to_have_text("阅读协议")

    # No referral yet: the button appears only once both have signed, and the page says so.
    expect(agreement_card.locator('button[data-action="refer"]')).to_have_count(0)
    expect(agreement_card.locator("#refer-by")).to_have_text(
        "双方签署后，由消费者或调解员将案件移送仲裁。"
    )
    expect(consumer.locator("h1 [data-state]")).to_have_attribute("data-state", "mediation_failed")
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "3-consumer-waits-for-the-merchant")
    assert Case.objects.get(pk=case.pk).state == State.MEDIATION_FAILED
    assert not CaseEvent.objects.filter(case=case, kind="transition.refer_to_arbitration").exists()
    assert not Referral.objects.filter(case=case).exists()

    # The merchant's staff sign in in their own browser and confirm the same draft.
    merchant = new_page()
    log_in_by_sms(merchant, live_daphne, c.merchant_staff.phone, "merchant")
    merchant.goto(f"/cases/{reference}/")
    merchant.locator("a[data-arbitration]").click()
    expect(merchant).to_have_url(re.compile(rf"/arbitration/cases/{reference}/$"))
    agreement_card = merchant.locator("#agreement")
    expect(agreement_card).to_contain_text(f"双方选定{body}。")
    expect(agreement_card.locator('[data-signed="consumer-yes"]')).to_be_visible()
    expect(agreement_card.locator('[data-signed="merchant-no"]')).to_be_visible()
    # Only the consumer or the mediator refers: the merchant is told so, with no button.
    expect(agreement_card.locator('button[data-action="refer"]')).to_have_count(0)
    expect(agreement_card.locator("#refer-by")).to_have_text(
        "双方签署后，由消费者或调解员将案件移送仲裁。"
    )
    _assert_fits_the_phone(merchant)
    _screenshot(merchant, "4-merchant-agreement")
    merchant_number, merchant_saw = _sign(
        merchant, live_daphne, c.merchant_staff.phone, "5-merchant"
    )
    assert merchant_number == number
    assert merchant_saw == consumer_saw, "the parties were shown different drafts"

    merchant.goto(f"/arbitration/cases/{reference}/")
    agreement_card = merchant.locator("#agreement")
    expect(agreement_card.locator('[data-signed="consumer-yes"]')).to_have_text("消费者：已签署")
    expect(agreement_card.locator('[data-signed="merchant-yes"]')).to_have_text("经营者：已签署")

    # Both have signed: the consumer refers the case to the body they chose.
    consumer.reload()
    expect(consumer.locator('#agreement [data-signed="merchant-yes"]')).to_be_visible()
    consumer.locator('#agreement button[data-action="refer"]').click(timeout=RENDER_TIMEOUT_MS)
    expect(consumer.locator("ul.messages")).to_contain_text(
        "案件已移送仲裁。", timeout=RENDER_TIMEOUT_MS
    )
    expect(consumer.locator("h1 [data-state]")).to_have_attribute("data-state", "referred")
    expect(consumer.locator("h1 [data-state]")).to_have_text("已移送仲裁")
    # documents signs the referral letter and arbitration builds the file in the same
    # request (eager Celery, documents' handler first): the file is delivered.
    referral_line = consumer.locator("[data-referral-status]")
    expect(referral_line).to_have_attribute("data-referral-status", "delivered")
    expect(referral_line).to_have_text(f"{body}: 已送达")
    expect(consumer.locator("#agreement")).to_have_count(0)
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "6-consumer-referred")

    # The merchant sees the referral too.
    merchant.reload()
    expect(merchant.locator("h1 [data-state]")).to_have_attribute("data-state", "referred")
    expect(merchant.locator("h1 [data-state]")).to_have_text("已移送仲裁")
    expect(merchant.locator("[data-referral-status]")).to_have_text(f"{body}: 已送达")
    _assert_fits_the_phone(merchant)
    _screenshot(merchant, "7-merchant-referred")

    # What the case records: each party confirmed the exact PDF they downloaded, and the
    # case was referred (once) only after both had.
    case.refresh_from_db()
    assert case.state == State.REFERRED
    assert case.arbitration_body_id == c.body.pk
    assert case.arbitration_consented is True
    document = Document.objects.get(number=number)
    assert document.kind == Kind.ARBITRATION_AGREEMENT
    assert document.content_sha256 == consumer_saw
    # Both confirmed that draft, so the organisation signed it.
    assert document.status == Document.Status.VALID
    assert document.sha256 and document.sha256 != document.content_sha256
    confirmed = {
        e.payload["party"]: e
        for e in CaseEvent.objects.filter(case=case, kind="document.confirmed").order_by("seq")
    }
    assert set(confirmed) == {"consumer", "merchant"}
    for party, user, saw in (
        ("consumer", c.consumer, consumer_saw),
        ("merchant", c.merchant_staff, merchant_saw),
    ):
        event = confirmed[party]
        assert event.actor_id == user.pk
        assert event.payload["document"] == number
        assert event.payload["kind"] == Kind.ARBITRATION_AGREEMENT
        assert event.payload["sha256"] == saw
        assert event.payload["ip"] == "127.0.0.1"
        code = ConfirmationCode.objects.get(
            document=document, party=party, confirmed_at__isnull=False
        )
        assert (code.user_id, code.event_id, code.content_sha256) == (user.pk, event.pk, saw)
    refer = CaseEvent.objects.get(case=case, kind="transition.refer_to_arbitration")
    assert refer.actor_id == c.consumer.pk
    assert refer.seq > max(e.seq for e in confirmed.values())
    agreement = Agreement.objects.get(case=case)
    assert (agreement.status, agreement.body_id) == (Agreement.Status.USED, c.body.pk)
    assert agreement.proposed_by_id == c.consumer.pk
    referral = Referral.objects.get(case=case)
    assert (referral.agreement_id, referral.body_id, referral.event_id) == (
        agreement.pk,
        c.body.pk,
        refer.pk,
    )
    assert referral.status == Referral.Status.DELIVERED, referral.build_error
    assert referral.file_sha256
    assert Document.objects.get(case=case, kind=Kind.ARBITRATION_REFERRAL).status == (
        Document.Status.VALID
    )
    assert browser_errors == []

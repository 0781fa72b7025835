"""Credit files in real Chromium on a phone: the public finds a merchant in disclosure and
reads its credit file (figures, the index and how it is computed, de-identified records);
the merchant's staff reply publicly to a breach, and the public sees the reply. Then credit
repair: the staff apply for an old breach to be repaired, the regulator approves it with a
reason, and the public sees the record marked repaired and no longer counting.

The case behind it is made through the real services: the demo consumer's complaint
against the demo merchant, settled by accepting the merchant's offer, then reported as
not carried out.
"""

import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import expect

from accounts.models import Merchant, User
from cases.services import negotiation
from cases.services.transitions import case_transition
from cases.tests import factories as cf
from credit.tests import factories as credit_factories
from tests.browser.pages import assert_fits_the_phone as _assert_fits_the_phone
from tests.browser.pages import log_in_by_sms, screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MERCHANT = "临沂优品电子商贸有限公司"
USCC = "91371300MA3C8TXK2D"

_screenshot = screenshots("credit")


def _breached_case(demo_data):
    merchant = Merchant.objects.get(uscc=USCC)
    # The consumer agreed to publication: the public sees the case's own entries.
    case = cf.submit(consumer=demo_data.consumer, merchant=merchant, agrees_to_publication=True)
    offer = cf.offer(case, User.objects.get(pk=demo_data.merchant_staff.pk))
    case = negotiation.offer_accept(offer=offer, actor=User.objects.get(pk=demo_data.consumer.pk))
    return case_transition(
        case=case,
        name="report_breach",
        actor=User.objects.get(pk=demo_data.consumer.pk),
        data={"reason": "商家没有退款"},
    )


def test_disclosure_credit_file_and_the_merchants_reply(
    demo_data, live_daphne, new_page, browser_errors
):
    case = _breached_case(demo_data)

    public = new_page()
    public.goto("/disclosure/")
    expect(public.locator("html")).to_have_attribute("lang", "zh-Hans")
    public.locator("#disclosure-q").fill("优品电子")
    public.locator("main form[role=search] button[type=submit]").click()
    result = public.locator(f'main li[data-merchant="{USCC}"]')
    expect(result).to_be_visible()
    expect(result.locator('[data-figure="complaints"]')).to_have_text("1")
    expect(result.locator('[data-figure="resolution_rate"]')).to_have_text("100.0%")
    _assert_fits_the_phone(public)
    _screenshot(public, "0-disclosure")

    result.locator("h2 a").click()
    expect(public).to_have_url(re.compile(rf"/credit/merchants/{USCC}/$"))
    expect(public.locator("main h1")).to_have_text(MERCHANT)
    expect(public.locator("[data-grade]")).to_have_text("A")
    expect(public.locator('[data-component="performance"]')).to_contain_text("10.0")
    expect(public.locator('[data-figure="breaches"]')).to_have_text("1")
    breach = public.locator('li[data-kind="breach"]')
    expect(breach).to_contain_text(case.reference)
    expect(breach.locator("[data-consumer]")).to_have_text("张**")
    text = public.locator("main").inner_text()
    for secret in ("张三", "13800000001", "金雀山路"):
        assert secret not in text
    assert public.locator("main form").count() == 0  # the public changes nothing
    _assert_fits_the_phone(public)
    _screenshot(public, "1-credit-file")

    staff = new_page()
    staff.goto("/accounts/login/")
    staff.locator("main input[name=phone]").fill("13800000002")
    staff.locator("main form button[type=submit]").first.click()
    staff.locator("main input[name=code]").fill(live_daphne.latest_code(to="+8613800000002"))
    staff.locator("main form button[type=submit]").first.click()
    expect(staff).to_have_url(re.compile(r"/accounts/merchant/$"))
    staff.goto(f"/credit/merchants/{USCC}/")
    record = staff.locator('li[data-kind="breach"]')
    record.locator("summary", has_text=re.compile("公开回应|Reply publicly")).click()
    record.locator("textarea[name=body]").fill(
        "已于次日全额退款，消费者张三已确认，电话13800000001。"
    )
    record.locator("form button[type=submit]").click()
    expect(staff.locator('li[data-kind="breach"] [data-reply]')).to_be_visible()
    _assert_fits_the_phone(staff)
    _screenshot(staff, "2-reply")

    public.reload()
    reply = public.locator('li[data-kind="breach"] [data-reply]')
    expect(reply).to_contain_text("已于次日全额退款")
    expect(reply).to_contain_text("张**")
    expect(reply).not_to_contain_text("张三")
    expect(reply).not_to_contain_text("13800000001")
    assert not browser_errors, "\n".join(browser_errors)


def test_credit_repair_applied_for_and_approved(demo_data, live_daphne, new_page, browser_errors):
    merchant = Merchant.objects.get(uscc=USCC)
    # A breach four months old: past the waiting period (90 days), nothing negative since.
    breach = credit_factories.make_record(
        merchant, "breach", days_ago=120, consumer=demo_data.consumer
    )

    staff = new_page()
    log_in_by_sms(staff, live_daphne, "+8613800000002")
    expect(staff).to_have_url(re.compile(r"/accounts/merchant/$"))
    staff.goto(f"/credit/merchants/{USCC}/")
    expect(staff.locator("[data-grade]")).to_have_text("A")
    record = staff.locator(f'li[data-record="{breach.pk}"]')
    record.locator("summary", has_text=re.compile("申请信用修复|Apply for credit repair")).click()
    record.locator("textarea[name$=statement]").fill("已于次日向消费者全额退款并补发商品。")
    record.locator("form[action$='/repair/'] button[type=submit]").click()
    expect(staff.locator("ul.messages")).to_contain_text(
        re.compile("已提交监管部门|sent to the regulator")
    )
    expect(record.locator("summary", has_text=re.compile("申请信用修复|Apply"))).to_have_count(0)
    _assert_fits_the_phone(staff)
    _screenshot(staff, "3-repair-applied")

    # The server checks passwords with the production hashers, not the tests' fast one.
    hasher = PBKDF2PasswordHasher()
    password = "pw-for-tests-123"
    User.objects.filter(username="regulator").update(
        password=hasher.encode(password, hasher.salt())
    )
    regulator = new_page()
    regulator.goto("/accounts/staff-login/")
    regulator.locator("main input[name=username]").fill("regulator")
    regulator.locator("main input[name=password]").fill(password)
    regulator.locator("main form button[type=submit]").click()
    expect(regulator).to_have_url(re.compile(r"/accounts/regulator/$"))
    regulator.goto("/credit/repairs/")
    application = regulator.locator("section[data-application]")
    expect(application).to_have_count(1)
    expect(application).to_contain_text("已于次日向消费者全额退款")
    application.locator("input[type=radio][value=approve]").check()
    application.locator("textarea[name$=reason]").fill("已核实退款凭证。")
    application.locator("button[type=submit]").click()
    expect(regulator.locator("main .empty")).to_be_visible()
    _assert_fits_the_phone(regulator)
    _screenshot(regulator, "4-repair-approved")

    public = new_page()
    public.goto(f"/credit/merchants/{USCC}/")
    repaired = public.locator(f'li[data-record="{breach.pk}"]')
    expect(repaired.locator("[data-repaired]")).to_be_visible()
    expect(public.locator('[data-component="performance"] td').nth(1)).to_have_text(
        re.compile(r"^0 ")
    )
    expect(public.locator('[data-figure="breaches_repaired"]')).to_have_text("1")
    expect(public.locator('li[data-kind="repair"]')).to_have_count(1)
    assert "张三" not in public.locator("main").inner_text()
    assert not browser_errors, "\n".join(browser_errors)

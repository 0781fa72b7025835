"""Reports of suspected violations (举报), in real Chromium: a signed-out visitor reports
anonymously on a phone and is told plainly that nobody can tell them the outcome; 张三
reports under his name; the regulator opens a case; 张三 sees the outcome (and was sent
it by SMS)."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import Report, ReportNotice, State
from tests.browser.pages import (
    assert_fits_the_phone,
    give_staff_password,
    log_in_as_staff,
    log_in_by_sms,
    screenshots,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_screenshot = screenshots("reports")
MERCHANT = "91371300MA3C8TXK2D"  # 临沂优品电子商贸有限公司 (demo)


def _fill(page, *, anonymous: bool, facts: str) -> None:
    page.goto("/reports/new/")
    page.locator("#id_who_1" if anonymous else "#id_who_0").check()
    page.locator("#id_merchant_uscc").fill(MERCHANT)
    page.locator("#id_violation_kind").select_option("false_advertising")
    page.locator("#id_facts").fill(facts)


def test_reports_anonymous_and_named_and_the_office_opens_a_case(
    demo_data, live_daphne, new_page, browser_errors
):
    visitor = new_page(viewport={"width": 375, "height": 812})
    _fill(visitor, anonymous=True, facts="页面写原装进口，实物是国产分装。")
    expect(visitor.locator("#anonymous-note")).to_contain_text("无法告知")
    assert_fits_the_phone(visitor, 375)
    visitor.locator("[data-action=file-report]").click()
    expect(visitor).to_have_url(re.compile(r"/reports/filed/$"))
    expect(visitor.locator("#anonymous-outcome")).to_contain_text("无法告知您处理决定")
    anonymous_ref = visitor.locator("#report-reference").inner_text()
    assert Report.objects.get(reference=anonymous_ref).anonymous
    assert_fits_the_phone(visitor, 375)
    _screenshot(visitor, "anonymous-filed")

    reporter = new_page(viewport={"width": 375, "height": 812})
    log_in_by_sms(reporter, live_daphne, demo_data.consumer.phone, "consumer")
    _fill(reporter, anonymous=False, facts="标价 999 元，结算时收了 1299 元。")
    reporter.locator("#id_name").fill("张三")
    reporter.locator("#id_phone").fill(demo_data.consumer.phone.removeprefix("+86"))
    reporter.locator("[data-action=file-report]").click()
    expect(reporter.locator("#notice-promise")).to_be_visible()
    named_ref = reporter.locator("#report-reference").inner_text()
    report = Report.objects.get(reference=named_ref)
    assert not report.anonymous and report.wants_notice and report.reporter == demo_data.consumer

    office = new_page()
    log_in_as_staff(office, give_staff_password("regulator"), "regulator")
    office.goto(f"/reports/{named_ref}/")
    expect(office.locator("#reporter")).to_contain_text("张三")
    office.locator("#decide-form input[value=open]").check()
    office.locator("#decide-form textarea[name=reasons]").fill(
        "有证据初步证明存在价格违法行为，决定立案。"
    )
    office.locator("#decide-form [data-action=decide]").click()
    expect(office.locator("#report-status")).to_contain_text("已立案")

    reporter.goto(f"/reports/{named_ref}/")
    expect(reporter.locator("#report-status")).to_contain_text("已立案")
    expect(reporter.locator("#outcome")).to_contain_text("已立案")
    expect(reporter.locator("#office")).to_have_count(0)
    assert_fits_the_phone(reporter, 375)
    _screenshot(reporter, "named-outcome")
    assert Report.objects.get(pk=report.pk).state == State.OPENED
    notice = ReportNotice.objects.get(report=report)
    assert notice.status == ReportNotice.Status.SENT and named_ref in notice.body
    assert browser_errors == []

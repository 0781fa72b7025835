"""Arbitration in real Chromium: the body's staff log in, open the referral, accept it
and record the award; the consumer then sees the award on the case's arbitration page.

The referral is made through the real services (both parties' signatures on the
agreement, the referral letter issued as a stand-in PDF: rendering is the documents
journey's business), so the file the staff open is a real referral file.
"""

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from arbitration.models import Award, Referral
from arbitration.services import consent
from arbitration.services.referral_file import referral_file_build
from arbitration.tests import factories as f
from cases.models import Case, State
from cases.tests import factories as cf
from documents.kinds import Kind
from tests.browser.pages import assert_fits_the_phone as _assert_fits_the_phone
from tests.browser.pages import screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_screenshot = screenshots("arbitration")


def _referred_case() -> tuple[cf.Cast, Referral]:
    c = cf.cast()
    f.profile(c.body)
    case = f.failed_case(c)
    agreement = f.propose(c, case)
    f.sign_directly(agreement, "consumer", "merchant", c=c)
    referral = consent.case_refer(case=case, actor=c.actor("consumer"))
    f.issue_stand_in(case=case, kind=Kind.ARBITRATION_REFERRAL, event=referral.event)
    referral = referral_file_build(referral_id=referral.pk)
    assert referral.status == Referral.Status.DELIVERED
    return c, referral


def test_staff_accept_and_award_and_the_consumer_sees_it(
    live_daphne, new_page, browser_errors, tmp_path
):
    c, referral = _referred_case()
    reference = referral.case.reference
    # The server checks passwords with the production hashers, not the tests' fast one.
    hasher = PBKDF2PasswordHasher()
    password = "pw-for-tests-123"
    User.objects.filter(pk=c.arbitration_staff.pk).update(
        password=hasher.encode(password, hasher.salt())
    )
    award_pdf = tmp_path / "裁决书.pdf"
    award_pdf.write_bytes(f.pdf_bytes("award"))

    staff = new_page()
    staff.goto("/accounts/staff-login/")
    staff.locator("main input[name=username]").fill(c.arbitration_staff.username)
    staff.locator("main input[name=password]").fill(password)
    staff.locator("main form button[type=submit]").click()
    expect(staff).to_have_url(re.compile(r"/accounts/arbitration/$"))

    # The portal lists the referral; the staff open it.
    staff.goto("/arbitration/")
    row = staff.locator(f'#referrals tr[data-reference="{reference}"]')
    expect(row).to_be_visible()
    _assert_fits_the_phone(staff)
    _screenshot(staff, "0-portal")
    row.locator("a").click()
    expect(staff).to_have_url(re.compile(rf"/arbitration/referrals/{reference}/$"))
    expect(staff.locator("#download-file")).to_be_visible()
    expect(staff.locator("main")).to_contain_text("退款199元")

    # Accept.
    staff.locator('button[data-action="accept"]').click()
    expect(staff.locator("ul.messages")).to_contain_text(re.compile("已受理|accepted"))
    expect(staff.locator("[data-referral-status]")).to_have_attribute(
        "data-referral-status", "accepted"
    )
    assert Case.objects.get(pk=referral.case_id).state == State.ARBITRATING

    # Record the award: the PDF and its terms.
    award = staff.locator('details[data-form="award"]')
    award.locator("summary").click()
    award.locator("input[name=file]").set_input_files(str(award_pdf))
    award.locator("textarea[name=obligations]").fill("被申请人于十日内退款199元")
    award.locator("input[name=amount]").fill("199")
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    award.locator("input[name=due_on]").fill(due)
    award.locator('button[data-action="award"]').click()
    expect(staff.locator("ul.messages")).to_contain_text(re.compile("裁决已记录|Award recorded"))
    expect(staff.locator("#award")).to_contain_text("被申请人于十日内退款199元")
    _assert_fits_the_phone(staff)
    _screenshot(staff, "1-awarded")
    assert Case.objects.get(pk=referral.case_id).state == State.AWARDED
    assert Award.objects.get(referral=referral).due_on.isoformat() == due

    # The consumer logs in with an SMS code and sees the award.
    consumer = new_page()
    consumer.goto("/accounts/login/")
    consumer.locator("main input[name=phone]").fill(c.consumer.phone.removeprefix("+86"))
    consumer.locator("main form button[type=submit]").first.click()
    code = live_daphne.latest_code(to=c.consumer.phone)
    consumer.locator("main input[name=code]").fill(code)
    consumer.locator("main form button[type=submit]").first.click()
    expect(consumer).to_have_url(re.compile(r"/accounts/consumer/$"))
    consumer.goto(f"/arbitration/cases/{reference}/")
    expect(consumer.locator("[data-state]")).to_have_attribute("data-state", "awarded")
    expect(consumer.locator("#award")).to_contain_text("被申请人于十日内退款199元")
    expect(consumer.locator("#award")).to_contain_text(due)
    _assert_fits_the_phone(consumer)
    _screenshot(consumer, "2-consumer-sees-award")
    assert browser_errors == []

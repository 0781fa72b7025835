"""A group complaint in real Chromium: one mediation for the members, one member objects
and goes on alone, the others' agreement is recorded on each of their own cases.

seed_demo groups three consumers' complaints against 临沂鲜果汇食品有限公司 (a prepaid fruit
card the shop stopped honouring); the demo consumer 张三 is member 1 and its representative.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, State
from groups.demo import DEMO_PHONES, DEMO_TITLE
from groups.models import CaseGroup
from tests.browser.pages import (
    assert_fits_the_phone,
    give_staff_password,
    log_in_as_staff,
    log_in_by_sms,
    screenshots,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_screenshot = screenshots("groups")


def _confirm(page) -> None:
    """Irreversible acts ask first (static/js/cases.js): say yes."""
    page.locator("dialog.confirm-dialog [data-confirm-yes]").click()


def test_one_mediation_one_objection_and_each_members_own_agreement(
    demo_data, live_daphne, new_page, browser_errors
):
    group = CaseGroup.objects.get(title=DEMO_TITLE)
    url = f"/groups/{group.reference}/"
    cases = {
        phone: Case.objects.get(consumer__phone=phone, order_number__startswith="XGH-CARD-")
        for phone in DEMO_PHONES
    }

    # The office accepts the members' cases for one mediation, with the office's mediator.
    office = new_page()
    log_in_as_staff(office, give_staff_password("regulator"), "regulator")
    office.goto(url)
    expect(office.locator("#members tr[data-member]")).to_have_count(3)
    select = office.locator("#accept select[name=mediator]")
    choice = next(t for t in select.locator("option").all_inner_texts() if "王调解" in t)
    select.select_option(label=choice)
    office.locator('#accept button[data-action="accept"]').click()
    expect(office.locator(".messages")).to_be_visible()
    for case in cases.values():
        case.refresh_from_db()
        assert case.state == State.MEDIATION, case.reference
        assert case.mediator.username == "mediator"

    # Member 2 objects on a phone and leaves: their case goes on as their own.
    leaver = new_page(viewport={"width": 375, "height": 812})
    log_in_by_sms(leaver, live_daphne, DEMO_PHONES[1], "consumer")
    leaver.goto(f"/cases/{cases[DEMO_PHONES[1]].reference}/")
    expect(leaver.locator("#group")).to_contain_text(group.reference)
    leaver.locator("#group [data-group-link]").click()
    expect(leaver).to_have_url(re.compile(rf"{re.escape(url)}"))
    assert_fits_the_phone(leaver, 375)
    leaver.locator("#leave summary").click()
    leaver.locator("#leave-reason").fill("我想自己和商家谈。")
    leaver.locator('#leave button[data-action="leave"]').click()
    _confirm(leaver)
    expect(leaver).to_have_url(re.compile(rf"/cases/{cases[DEMO_PHONES[1]].reference}/"))
    _screenshot(leaver, "1-left-the-group")

    # The mediator puts one set of terms to the members, member 1's amount its own.
    mediator = new_page()
    log_in_as_staff(mediator, give_staff_password("mediator"), "mediator")
    mediator.goto(url)
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    mediator.locator("#terms-description").fill("门店于十日内退还预付卡余额。")
    mediator.locator("#terms-due").fill(due)
    mediator.locator("#amount-1").fill("480.00")
    mediator.locator('#terms-form button[data-action="terms"]').click()
    expect(mediator.locator("#terms .terms")).to_contain_text("退还预付卡余额")

    # Member 1 (张三) accepts for their own case.
    member = new_page(viewport={"width": 375, "height": 812})
    log_in_by_sms(member, live_daphne, DEMO_PHONES[0], "consumer")
    member.goto(url)
    member.locator('button[data-action="terms_accept"]').click()
    expect(member.locator(".messages")).to_be_visible()

    # The mediator records the agreement: it reaches member 1's case only.
    mediator.goto(url)
    mediator.locator('#terms button[data-action="record"]').click()
    expect(mediator.locator(".messages")).to_be_visible()
    _screenshot(mediator, "2-recorded")

    settled = Case.objects.get(pk=cases[DEMO_PHONES[0]].pk)
    assert settled.state == State.SETTLED
    assert settled.settlement_terms["amount"] == "480.00"
    left = Case.objects.get(pk=cases[DEMO_PHONES[1]].pk)
    assert left.state == State.MEDIATION
    assert left.settlement_terms is None
    silent = Case.objects.get(pk=cases[DEMO_PHONES[2]].pk)
    assert silent.state == State.MEDIATION  # did not accept the terms: outside the agreement
    member.goto(f"/cases/{settled.reference}/")
    expect(member.locator("h1 [data-state]")).to_have_attribute("data-state", "settled")
    assert not [e for e in browser_errors if "404" not in e], browser_errors

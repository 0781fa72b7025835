"""Recusal of the mediator in real Chromium (SAMR form 7): the consumer, on a phone, asks
from the case page within the window; the regulator, on the case page, sees the request
and refuses it with reasons; the consumer's page then shows the decision."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import CaseEvent, RecusalRequest, State
from cases.tests import factories as f
from tests.browser.pages import (
    assert_fits_the_phone,
    give_staff_password,
    log_in_as_staff,
    log_in_by_sms,
    screenshots,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
shot = screenshots("recusal")


def test_consumer_asks_for_recusal_and_the_regulator_decides(live_daphne, new_page):
    cast = f.cast()
    case = f.case_in(State.MEDIATION, cast)
    ref = case.reference

    consumer = new_page()
    log_in_by_sms(consumer, live_daphne, cast.consumer.phone, landing="consumer")
    consumer.goto(f"/cases/{ref}/")
    section = consumer.locator("#recusal")
    expect(section).to_be_visible()
    section.locator("[data-recusal-open]").click()
    form = consumer.locator("#recusal-form")
    expect(form).to_be_visible()
    form.locator("select[name=ground]").select_option("interest")
    form.locator("textarea[name=reasons]").fill("调解员与商家负责人是同学，我担心调解不公正。")
    assert_fits_the_phone(consumer)
    shot(consumer, "1-asking")
    form.locator("button[data-action=recusal-request]").click()
    expect(consumer.locator("[data-recusal-pending]")).to_be_visible()
    expect(consumer.locator("#recusal-form")).to_have_count(0)
    assert RecusalRequest.objects.get(case=case).status == "pending"

    regulator = new_page(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False)
    log_in_as_staff(regulator, give_staff_password(cast.regulator.username), "regulator")
    regulator.goto(f"/cases/{ref}/")
    expect(regulator.locator("#next [data-next-primary]")).to_have_attribute(
        "href", "#recusal-decision-form"
    )
    decision = regulator.locator("#recusal-decision-form")
    decision.locator("input[name=decision][value=refuse]").check()
    decision.locator("textarea[name=reasons]").fill("经核实，调解员与商家负责人并非同学。")
    shot(regulator, "2-deciding")
    decision.locator("button[data-action=recusal-decide]").click()
    expect(regulator).to_have_url(re.compile(rf"/cases/{ref}/#recusal$"))
    expect(regulator.locator('[data-recusal][data-status="refused"]')).to_be_visible()
    assert CaseEvent.objects.filter(case=case, kind="recusal.refused").count() == 1

    consumer.reload()
    expect(consumer.locator('[data-recusal][data-status="refused"]')).to_contain_text(
        "经核实，调解员与商家负责人并非同学。"
    )
    shot(consumer, "3-told")

"""The consumer's choice about delegated mediation binds the office, in real Chromium.

The demo's complaint against 临沂鲜果汇食品有限公司 (not in ODR) waits for the regulator's
decision; 张三 did not agree to mediation by a consumer association when filing it. The
regulator is offered only the office's mediator; on a phone, 张三 changes the answer on
the case page; the regulator is then offered the association's mediator, and accepts
with them.
"""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case, CaseEvent, Consent, State
from tests.browser.pages import (
    assert_fits_the_phone,
    give_staff_password,
    log_in_as_staff,
    log_in_by_sms,
    screenshots,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_screenshot = screenshots("consents")
ASSOCIATION_MEDIATOR = "陈调解"
OFFICE_MEDIATOR = "王调解"


def _mediator_options(page) -> list[str]:
    select = page.locator("#action-accept select[name=mediator]")
    return [text.strip() for text in select.locator("option").all_inner_texts()]


def test_the_consumer_agrees_and_only_then_the_association_may_mediate(
    demo_data, live_daphne, new_page, browser_errors
):
    case = Case.objects.get(consumer=demo_data.consumer, order_number="DEMO-0002")
    assert case.state == State.REVIEW
    assert case.agrees_to_delegated_mediation is False
    url = f"/cases/{case.reference}/"

    regulator = new_page()
    log_in_as_staff(regulator, give_staff_password("regulator"), "regulator")
    regulator.goto(url)
    regulator.locator("#action-accept summary").click()
    options = _mediator_options(regulator)
    assert any(OFFICE_MEDIATOR in o for o in options), options
    assert not any(ASSOCIATION_MEDIATOR in o for o in options), options
    expect(regulator.locator('#action-accept [data-delegated="refused"]')).to_be_visible()
    expect(regulator.locator("#consents")).to_contain_text("投诉人的选择")

    consumer = new_page(viewport={"width": 375, "height": 812})
    log_in_by_sms(consumer, live_daphne, demo_data.consumer.phone, "consumer")
    consumer.goto(url)
    answer = consumer.locator('#consents [data-consent="delegated_mediation"]')
    expect(answer).to_have_attribute("data-answer", "no")
    expect(answer).to_contain_text("由市场监管部门自己的调解员调解")
    assert_fits_the_phone(consumer, 375)
    answer.get_by_label("同意", exact=True).check()
    answer.locator('button[data-action="consent-delegated_mediation"]').click()
    expect(consumer).to_have_url(re.compile(rf"{re.escape(url)}#consents$"))
    expect(consumer.locator(".messages")).to_contain_text("您的回答已保存。")
    answer = consumer.locator('#consents [data-consent="delegated_mediation"]')
    expect(answer).to_have_attribute("data-answer", "yes")
    _screenshot(consumer, "1-consumer-agreed")

    regulator.goto(url)
    regulator.locator("#action-accept summary").click()
    options = _mediator_options(regulator)
    chosen = next(o for o in options if ASSOCIATION_MEDIATOR in o)
    regulator.locator("#action-accept select[name=mediator]").select_option(label=chosen)
    regulator.locator('#action-accept button[data-action="accept"]').click()
    expect(regulator.locator("h1 [data-state]")).to_have_attribute("data-state", "mediation")
    _screenshot(regulator, "2-accepted-with-the-association")

    case.refresh_from_db()
    assert case.mediator.username == "association"
    assert list(
        Consent.objects.filter(case=case, question="delegated_mediation").values_list(
            "answer", flat=True
        )
    ) == [False, True]
    assert CaseEvent.objects.filter(case=case, kind="case.consent_changed").count() == 1
    # The answers are settled once the office has decided.
    consumer.goto(url)
    expect(consumer.locator("#consents")).to_contain_text("不能再更改")
    expect(consumer.locator("#consents form")).to_have_count(0)
    assert not browser_errors, browser_errors

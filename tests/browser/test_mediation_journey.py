"""Live mediation in real Chromium: the consumer, the merchant and the mediator in three
browser contexts. A live exchange in the joint room, a caucus the merchant cannot see,
and the consumer's page reloaded mid-conversation showing every message once.
"""

import re

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import Page, expect

from accounts.models import User
from cases.models import Message, State
from cases.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-123"


def _sms_log_in(page: Page, live_daphne, phone: str) -> None:
    page.goto("/accounts/login/")
    page.locator("main input[name=phone]").fill(phone.removeprefix("+86"))
    page.locator("main form button[type=submit]").first.click()
    page.locator("main input[name=code]").fill(live_daphne.latest_code(to=phone))
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/(consumer|merchant)/$"))


def _staff_log_in(page: Page, username: str) -> None:
    page.goto("/accounts/staff-login/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/mediator/$"))


def _say(panel, room: str, text: str) -> None:
    form = panel.locator(f'form[data-send="{room}"]')
    form.locator("textarea").fill(text)
    form.locator("button[type=submit]").click()


def _shown(panel, room: str, text: str):
    return panel.locator(f'[data-log="{room}"] li.msg:not(.pending) .body', has_text=text)


def test_three_parties_live(live_daphne, new_page, browser_errors):
    cast = f.cast()
    case = f.case_in(State.MEDIATION, cast)
    # The server checks passwords with the production hashers, not the tests' fast one.
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=cast.mediator.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    ref = case.reference

    consumer, merchant = new_page(), new_page()
    # The console is a desk tool: the mediator works on a wide screen.
    mediator = new_page(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False)
    _sms_log_in(consumer, live_daphne, cast.consumer.phone)
    _sms_log_in(merchant, live_daphne, cast.merchant_staff.phone)
    _staff_log_in(mediator, cast.mediator.username)

    # The mediator's console lists the case; opening it puts the room beside the list.
    mediator.goto("/mediation/")
    expect(mediator.locator(f'[data-case-row="{ref}"]')).to_be_visible()
    mediator.locator(f'[data-open-case="{ref}"]').click()
    med = mediator.locator(f'[data-console-panes] [data-med-panel][data-ref="{ref}"]')
    expect(med).to_have_attribute("data-connection", "open")

    consumer.goto(f"/mediation/cases/{ref}/")
    merchant.goto(f"/mediation/cases/{ref}/")
    con = consumer.locator("[data-med-panel]")
    mer = merchant.locator("[data-med-panel]")
    expect(con).to_have_attribute("data-connection", "open")
    expect(mer).to_have_attribute("data-connection", "open")
    # The system message that opened the room is there for everyone.
    expect(con.locator('[data-log="joint"] li.system').first).to_be_visible()

    # A live exchange in the joint room.
    _say(con, "joint", "收到的耳机右耳没有声音。")
    expect(_shown(mer, "joint", "收到的耳机右耳没有声音。")).to_have_count(1)
    expect(_shown(med, "joint", "收到的耳机右耳没有声音。")).to_have_count(1)
    _say(mer, "joint", "<b>可以换货</b>")
    expect(_shown(con, "joint", "<b>可以换货</b>")).to_have_count(1)  # shown as text
    expect(con.locator('[data-log="joint"] b')).to_have_count(0)
    _say(med, "joint", "请双方说明各自的要求。")
    expect(_shown(con, "joint", "请双方说明各自的要求。")).to_have_count(1)
    expect(_shown(mer, "joint", "请双方说明各自的要求。")).to_have_count(1)

    # A caucus with the consumer: the merchant has no such room and never sees it.
    med.locator('[data-room-tab="caucus:consumer"]').click()
    _say(med, "caucus:consumer", "您能接受的最低金额是多少？")
    con.locator('[data-room-tab="caucus:consumer"]').click()
    expect(_shown(con, "caucus:consumer", "您能接受的最低金额是多少？")).to_have_count(1)
    _say(con, "caucus:consumer", "至少三百元。")
    expect(_shown(med, "caucus:consumer", "至少三百元。")).to_have_count(1)
    expect(mer.locator('[data-room-tab="caucus:consumer"]')).to_have_count(0)
    expect(mer.locator('[data-log="caucus:consumer"]')).to_have_count(0)
    assert "至少三百元" not in merchant.content()
    assert "最低金额" not in merchant.content()

    # The consumer's page reloads mid-conversation; the merchant writes meanwhile.
    con.locator('[data-room-tab="joint"]').click()
    consumer.reload()
    _say(mer, "joint", "刷新时商家发的消息")
    con = consumer.locator("[data-med-panel]")
    expect(con).to_have_attribute("data-connection", "open")
    expect(_shown(con, "joint", "刷新时商家发的消息")).to_have_count(1)
    _say(con, "joint", "刷新后继续")
    expect(_shown(mer, "joint", "刷新后继续")).to_have_count(1)
    joint = list(
        Message.objects.filter(case=case, room="joint")
        .order_by("seq")
        .values_list("body", flat=True)
    )
    expect(con.locator('[data-log="joint"] li.msg:not(.pending)')).to_have_count(len(joint))
    shown = con.locator('[data-log="joint"] li.msg .body').all_text_contents()
    assert shown == joint  # every message once, in order
    assert browser_errors == []

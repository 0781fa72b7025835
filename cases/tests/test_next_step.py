"""The "what happens next" panel on the case page: who must act, by when, the one primary
action; withdrawal not offered after a settlement; irreversible acts ask once more; time
left in working days, never in weeks or months."""

import re

import pytest

from accounts.tests import factories as af
from cases.models import State
from cases.services.transitions import case_transition
from cases.tests import factories as cf

pytestmark = pytest.mark.django_db


def _panel(client, user, case) -> str:
    af.login(client, user)
    page = client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    found = re.search(r'<section[^>]*id="next".*?</section>', html, re.S)
    assert found, "the page has no next-step panel"
    return found.group(0)


def _page(client, user, case) -> str:
    af.login(client, user)
    return client.get(f"/cases/{case.reference}/").content.decode()


def test_in_negotiation_the_merchant_is_asked_and_the_consumer_waits(client):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    merchant = _panel(client, c.merchant_staff, case)
    assert "is-mine" in merchant
    assert "data-next-primary" in merchant
    assert re.search(r"\d+ 个工作日", merchant), merchant
    consumer = _panel(client, c.consumer, case)
    assert "is-mine" not in consumer
    assert "个工作日" in consumer
    assert "周" not in consumer and "月，" not in consumer


def test_after_a_settlement_withdrawal_is_gone_and_confirming_asks_first(client):
    c = cf.cast()
    case = cf.case_in(State.SETTLED, c)
    page = _page(client, c.consumer, case)
    assert 'data-transition="withdraw"' not in page
    panel = re.search(r'<section[^>]*id="next".*?</section>', page, re.S).group(0)
    assert 'data-opens="action-confirm_performance"' in panel
    action = re.search(r'<details[^>]*id="action-confirm_performance".*?</details>', page, re.S)
    assert action and "data-confirm=" in action.group(0)


def test_an_offer_left_open_when_the_case_moved_on_is_no_longer_open(client):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    cf.offer(case, c.actor("merchant_staff"))
    case_transition(case=case, name="escalate", actor=c.actor("consumer"))
    page = _page(client, c.consumer, case)
    offers = re.search(r'<div id="offers-feed".*?</div>', page, re.S).group(0)
    assert 'data-status="expired"' in offers
    assert "已失效" in offers
    assert "待答复" not in offers


def test_while_the_arbitration_body_decides_its_deadline_is_shown(client):
    c = cf.cast()
    case = cf.case_in(State.REFERRED, c)
    panel = _panel(client, c.consumer, case)
    assert "仲裁机构正在决定是否受理" in panel
    assert "next-due" in panel
    page = _page(client, c.consumer, case)
    assert 'data-clock="arbitration_acceptance"' in page
    assert re.search(r"还剩 \d+ 天", page) or re.search(r"剩余 \d+ 天", page), page
    staff = _panel(client, c.arbitration_staff, case)
    assert "is-mine" in staff and "data-next-primary" in staff

"""The mediator's home lists their live cases: the parties, the time left on the
mediation clock as the case page counts it, unread messages, and the way to the room and
the console; never another mediator's cases, in a fixed number of queries."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Deadline, Message, State
from cases.tests import factories as f
from mediation.models import ReadMark
from mediation.selectors import mediator_home_cases
from odr.calendar import CHINA_TZ, working_days_between

pytestmark = pytest.mark.django_db


def _message(case: Case, room: str, seq: int, author, role: str, when: dt.datetime) -> None:
    message = Message.objects.create(
        case=case, room=room, seq=seq, author=author, author_role=role, body="你好"
    )
    Message.objects.filter(pk=message.pk).update(created_at=when)


def _home(client, user, language: str = "zh-hans") -> str:
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(reverse("accounts:mediator_home"))
    assert response.status_code == 200
    return response.content.decode()


def _items(html: str) -> list[str]:
    return re.findall(r'<li class="case-item" data-case="([^"]+)">', html)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_home_lists_the_live_cases_with_clock_unread_and_links(client, cast, language):
    case = f.case_in(State.MEDIATION, cast)
    _message(case, "joint", 1, cast.consumer, "consumer", timezone.now())
    _message(case, "joint", 2, cast.merchant_staff, "merchant_staff", timezone.now())
    _message(case, "caucus:consumer", 1, cast.consumer, "consumer", timezone.now())
    ReadMark.objects.create(case=case, room="joint", user=cast.mediator, last_read_seq=1)
    html = _home(client, cast.mediator, language)
    assert _items(html) == [case.reference]
    item = html[html.index(f'data-case="{case.reference}"') :].split("</li>")[0]
    assert case.complainant_name in item and case.merchant_name in item
    assert 'data-unread="2"' in item  # one in the joint room, one in the caucus
    assert f'href="{reverse("mediation:room", args=[case.reference])}"' in item
    assert f'href="{reverse("cases:detail", args=[case.reference])}"' in item
    assert f'href="{reverse("mediation:console")}"' in html
    deadline = Deadline.objects.get(case=case, clock="mediation_limit", status="running")
    today = timezone.now().astimezone(CHINA_TZ).date()
    left = re.search(r'<span class="left">([^<]*)</span>', item).group(1)
    # Order 121's clock counts calendar days, Order 20's working days: as the case page.
    expected = (deadline.due_on - today).days
    if "working" in left or "工作日" in left:
        expected = working_days_between(today, deadline.due_on)
    assert str(expected) in left
    assert deadline.due_on.isoformat() in item
    if language == "en":
        assert re.search(r"\d+ (working )?days? left", left)


def test_a_mediator_sees_only_their_own_cases(client, cast):
    mine = f.case_in(State.MEDIATION, cast)
    theirs = f.case_in(State.MEDIATION, cast)
    Case.objects.filter(pk=theirs.pk).update(mediator=cast.other_mediator)
    assert _items(_home(client, cast.mediator)) == [mine.reference]
    assert _items(_home(client, cast.other_mediator)) == [theirs.reference]


def test_only_cases_in_mediation_newest_activity_first(client, cast):
    older = f.case_in(State.MEDIATION, cast)
    newer = f.case_in(State.MEDIATION, cast)
    ended = f.case_in(State.MEDIATION_FAILED, cast)
    assert ended.mediator_id == cast.mediator.pk
    now = timezone.now()
    Case.objects.filter(pk=older.pk).update(updated_at=now - dt.timedelta(days=3))
    Case.objects.filter(pk=newer.pk).update(updated_at=now - dt.timedelta(days=2))
    assert _items(_home(client, cast.mediator)) == [newer.reference, older.reference]
    # A message is activity: the older case comes first once a party writes in it.
    _message(older, "joint", 1, cast.consumer, "consumer", now - dt.timedelta(hours=1))
    assert _items(_home(client, cast.mediator)) == [older.reference, newer.reference]


def test_no_case_says_so(client, cast):
    html = _home(client, cast.mediator)
    assert _items(html) == []
    assert 'class="empty"' in html


def test_queries_do_not_grow_with_the_cases(cast, django_assert_max_num_queries):
    cases = [f.case_in(State.MEDIATION, cast) for _ in range(3)]
    for case in cases:
        _message(case, "joint", 1, cast.consumer, "consumer", timezone.now())
    with django_assert_max_num_queries(5):
        rows, more = mediator_home_cases(mediator=cast.mediator, limit=10)
    assert len(rows) == 3 and not more
    assert all(row.clock is not None for row in rows)
    for _ in range(4):
        f.case_in(State.MEDIATION, cast)
    with django_assert_max_num_queries(5):
        rows, more = mediator_home_cases(mediator=cast.mediator, limit=5)
    assert len(rows) == 5 and more


def test_the_home_page_in_a_bounded_number_of_queries(client, cast, django_assert_max_num_queries):
    client.force_login(cast.mediator)
    f.case_in(State.MEDIATION, cast)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("accounts:mediator_home"))
    for _ in range(4):
        f.case_in(State.MEDIATION, cast)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("accounts:mediator_home"))
    assert len(_items(response.content.decode())) == 5

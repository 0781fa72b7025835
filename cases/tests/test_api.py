"""The case API: who sees which case, the timeline, message pages, merchant search."""

import pytest
from django.db import transaction

from accounts.models import MerchantStore
from accounts.tests import factories as af
from cases import selectors
from cases.models import CaseEvent, Message, State
from cases.services import negotiation
from cases.services.events import event_append
from cases.services.transitions import case_transition
from cases.tests import factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def c() -> cf.Cast:
    return cf.cast()


@pytest.fixture
def cases(c) -> dict:
    """Three cases: the cast's own, another consumer's against another merchant in the same
    city, and one in Fuzhou (350102), outside the cast regulator's jurisdiction."""
    mine = cf.case_in(State.REVIEW, c)
    theirs = cf.submit(consumer=c.other_consumer, merchant=c.other_merchant)
    far = cf.submit(
        consumer=c.other_consumer, merchant=cf.enrolled_merchant(division_code="350102")
    )
    return {"mine": mine, "theirs": theirs, "far": far}


# --- Detail --------------------------------------------------------------------------------

VISIBLE = {
    "consumer": {"mine"},
    "other_consumer": {"theirs", "far"},
    "merchant_staff": {"mine"},
    "other_merchant_staff": {"theirs"},
    "regulator": {"mine", "theirs"},
    "other_regulator": {"far"},
    "mediator": set(),  # not yet assigned
    "other_mediator": set(),
    "arbitration_staff": set(),
    "admin": {"mine", "theirs", "far"},
}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_detail_is_shown_only_to_those_on_the_case(client, c, cases, who):
    af.login(client, getattr(c, who))
    for name, case in cases.items():
        response = client.get(f"/api/v1/cases/{case.reference}/")
        if name in VISIBLE[who]:
            assert response.status_code == 200, (who, name)
            assert response.json()["reference"] == case.reference
        else:
            assert response.status_code == 403, (who, name)
            assert response.json()["error"]["code"] == "not_your_case"


def test_detail_shows_the_case(client, c, cases):
    af.login(client, c.consumer)
    body = client.get(f"/api/v1/cases/{cases['mine'].reference}/").json()
    assert (body["state"], body["merchant"], body["division_code"], body["ruleset"]) == (
        "review",
        c.merchant.uscc,
        "371302",
        "samr-order-121",
    )
    assert body["state_label"]
    assert body["possible_duplicate_of"] is None
    (deadline,) = [d for d in body["deadlines"] if d["status"] == "running"]
    assert deadline["clock"] == "acceptance_decision"
    assert deadline["label"] == "受理决定"
    assert deadline["citation"].startswith("《市场监督管理投诉举报处理办法》")
    # The drafting note about the text still to be confirmed is for staff, not the API.
    assert "待与正式文本核对" not in deadline["citation"]
    assert deadline["latest_at"] == deadline["due_at"]


def test_the_assigned_mediator_sees_the_case_once_accepted(client, c, cases):
    mine = cases["mine"]
    case_transition(
        case=mine, name="accept", actor=c.actor("regulator"), data={"mediator": str(c.mediator.pk)}
    )
    af.login(client, c.mediator)
    assert client.get(f"/api/v1/cases/{mine.reference}/").status_code == 200
    assert [r["reference"] for r in client.get("/api/v1/cases/").json()["results"]] == [
        mine.reference
    ]
    af.login(client, c.other_mediator)
    assert client.get(f"/api/v1/cases/{mine.reference}/").status_code == 403


def test_unknown_reference_is_404(client, c):
    af.login(client, c.consumer)
    for ref in ("LY-2026-999999", "nonsense", "LY-2026-000001%20", "%E6%A1%88"):
        response = client.get(f"/api/v1/cases/{ref}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("tail", ["", "events/", "transitions/", "messages/"])
def test_a_reference_with_a_nul_byte_is_a_400(client, c, cases, tail):
    af.login(client, c.consumer)
    response = client.get(f"/api/v1/cases/{cases['mine'].reference}%00/{tail}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_state_filter_with_a_nul_byte_is_a_400(client, c, cases):
    af.login(client, c.consumer)
    response = client.get("/api/v1/cases/?state=review%00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_anonymous_sees_nothing(client, cases):
    for url in ("/api/v1/cases/", f"/api/v1/cases/{cases['mine'].reference}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_authenticated"


# --- List ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", list(VISIBLE))
def test_list_shows_exactly_the_cases_visible_to_the_caller(client, c, cases, who):
    af.login(client, getattr(c, who))
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200
    body = response.json()
    expected = sorted(cases[name].reference for name in VISIBLE[who])
    assert sorted(r["reference"] for r in body["results"]) == expected
    assert body["count"] == len(expected)


def test_list_is_newest_first_and_filters_by_state(client, c, cases):
    af.login(client, c.admin)
    body = client.get("/api/v1/cases/").json()
    assert [r["reference"] for r in body["results"]] == [
        cases["far"].reference,
        cases["theirs"].reference,
        cases["mine"].reference,
    ]
    assert set(body["results"][0]) == {
        "reference",
        "state",
        "state_label",
        "merchant_name",
        "category",
        "submitted_at",
        "possible_duplicate_of",
    }
    review = client.get("/api/v1/cases/?state=review").json()
    assert [r["reference"] for r in review["results"]] == [cases["mine"].reference]
    assert client.get("/api/v1/cases/?state=nonsense").json()["results"] == []


def test_list_shows_possible_duplicates(client, c):
    first = cf.submit(consumer=c.consumer, merchant=c.merchant, order_number="TB7")
    second = cf.submit(consumer=c.consumer, merchant=c.merchant, order_number="TB7")
    af.login(client, c.consumer)
    results = client.get("/api/v1/cases/").json()["results"]
    assert [(r["reference"], r["possible_duplicate_of"]) for r in results] == [
        (second.reference, first.reference),
        (first.reference, None),
    ]


# --- Timeline --------------------------------------------------------------------------------


def test_events_timeline_in_order_with_hashes(client, c, cases):
    mine = cases["mine"]
    af.login(client, c.consumer)
    response = client.get(f"/api/v1/cases/{mine.reference}/events/")
    assert response.status_code == 200
    events = response.json()
    stored = list(CaseEvent.objects.filter(case=mine).order_by("seq"))
    assert [(e["seq"], e["kind"], e["hash"]) for e in events] == [
        (s.seq, s.kind, s.hash) for s in stored
    ]
    assert [e["kind"] for e in events] == [
        "case.submitted",
        "transition.start_negotiation",
        "deadline.started",
        "transition.escalate",
        "deadline.started",
    ]
    escalate = events[3]
    assert (escalate["from_state"], escalate["to_state"], escalate["actor_role"]) == (
        "negotiation",
        "review",
        "consumer",
    )


def test_staff_notes_are_hidden_from_the_parties(client, c, cases):
    mine = cases["mine"]
    with transaction.atomic():
        event_append(
            case=mine,
            kind="note.staff",
            actor=c.actor("regulator"),
            actor_role="regulator",
            payload={"note": "内部备注"},
            visibility=CaseEvent.Visibility.STAFF,
        )
    total = CaseEvent.objects.filter(case=mine).count()
    for who, sees in (
        ("consumer", total - 1),
        ("merchant_staff", total - 1),
        ("regulator", total),
        ("admin", total),
    ):
        af.login(client, getattr(c, who))
        events = client.get(f"/api/v1/cases/{mine.reference}/events/").json()
        assert len(events) == sees, who
        assert ("note.staff" in [e["kind"] for e in events]) == (sees == total)


@pytest.mark.parametrize("who", ["other_consumer", "other_merchant_staff", "other_regulator"])
def test_strangers_get_no_timeline(client, c, cases, who):
    af.login(client, getattr(c, who))
    response = client.get(f"/api/v1/cases/{cases['mine'].reference}/events/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_your_case"


# --- Message pages ----------------------------------------------------------------------------


@pytest.fixture
def chatty(c) -> object:
    case = cf.case_in(State.NEGOTIATION, c)
    for n in range(1, 6):
        actor = c.actor("consumer" if n % 2 else "merchant_staff")
        negotiation.message_post(case=case, actor=actor, body=f"第{n}条")
    return case


def _page(client, case, query=""):
    response = client.get(f"/api/v1/cases/{case.reference}/messages/{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    return [m["seq"] for m in body["results"]], body["next_after_seq"], body["has_more"]


def test_messages_are_paged_after_a_sequence_number(client, c, chatty):
    af.login(client, c.consumer)
    assert _page(client, chatty, "?limit=2") == ([1, 2], 2, True)
    assert _page(client, chatty, "?after_seq=2&limit=2") == ([3, 4], 4, True)
    assert _page(client, chatty, "?after_seq=4&limit=2") == ([5], 5, False)
    assert _page(client, chatty, "?after_seq=5&limit=2") == ([], 5, False)
    assert _page(client, chatty) == ([1, 2, 3, 4, 5], 5, False)
    assert _page(client, chatty, "?room=negotiation&after_seq=3") == ([4, 5], 5, False)
    first = client.get(f"/api/v1/cases/{chatty.reference}/messages/?limit=1").json()["results"][0]
    assert (first["seq"], first["room"], first["author_role"], first["body"]) == (
        1,
        "negotiation",
        "consumer",
        "第1条",
    )


def test_message_page_bounds_are_clamped(client, c, chatty):
    af.login(client, c.merchant_staff)
    assert _page(client, chatty, "?limit=0") == ([1], 1, True)
    assert _page(client, chatty, "?after_seq=-7&limit=2") == ([1, 2], 2, True)
    assert _page(client, chatty, f"?after_seq={10**30}") == ([], 10**30, False)


def test_a_page_is_at_most_100_messages(client, c, chatty):
    Message.objects.bulk_create(
        Message(case=chatty, room="negotiation", seq=n, author_role="consumer", body=str(n))
        for n in range(6, 131)
    )
    af.login(client, c.consumer)
    seqs, after, more = _page(client, chatty, "?limit=1000")
    assert (seqs, after, more) == (list(range(1, 101)), 100, True)
    assert _page(client, chatty, "?after_seq=100&limit=1000") == (list(range(101, 131)), 130, False)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?after_seq=abc", "invalid"),
        ("?limit=1.5", "invalid"),
        ("?room=lobby", "unknown_room"),
        ("?room=caucus:", "unknown_room"),
    ],
)
def test_bad_message_queries_are_400(client, c, chatty, query, code):
    af.login(client, c.consumer)
    response = client.get(f"/api/v1/cases/{chatty.reference}/messages/{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_regulators_read_messages_and_strangers_do_not(client, c, chatty):
    af.login(client, c.regulator)
    assert _page(client, chatty)[0] == [1, 2, 3, 4, 5]
    af.login(client, c.other_merchant_staff)
    assert client.get(f"/api/v1/cases/{chatty.reference}/messages/").status_code == 403


# --- Merchant search ---------------------------------------------------------------------------


@pytest.fixture
def shops():
    fruit = cf.enrolled_merchant(name="临沂鲜果商贸有限公司")
    MerchantStore.objects.create(
        merchant=fruit, platform="淘宝", url="https://www.FreshFruit-LY.taobao.com/"
    )
    tea = af.MerchantFactory(name="兰山茶叶店")
    return {"fruit": fruit, "tea": tea}


def _search(client, q) -> list[str]:
    response = client.get("/api/v1/merchants/", {"q": q})
    assert response.status_code == 200
    return [m["name"] for m in response.json()]


@pytest.mark.parametrize(
    "q",
    [
        "鲜果",
        "临沂鲜果商贸有限公司",
        "  鲜果商贸 ",
        "freshfruit-ly.taobao.com",
        "https://freshfruit-ly.taobao.com",
        "http://www.FRESHFRUIT-LY.taobao.com/",
        "freshfruit-ly",
    ],
)
def test_merchants_are_found_by_name_or_store_url(client, shops, q):
    assert _search(client, q) == ["临沂鲜果商贸有限公司"]


def test_merchants_are_found_by_credit_code(client, shops):
    uscc = shops["tea"].uscc
    assert _search(client, uscc) == ["兰山茶叶店"]
    assert _search(client, uscc.lower()) == ["兰山茶叶店"]
    assert set(_search(client, uscc[:8])) == {"兰山茶叶店", "临沂鲜果商贸有限公司"}


def test_merchant_search_result_shape(client, shops):
    fruit = shops["fruit"]
    (found,) = client.get("/api/v1/merchants/", {"q": "鲜果"}).json()
    assert found == {
        "id": fruit.pk,
        "name": "临沂鲜果商贸有限公司",
        "uscc": fruit.uscc,
        "division_code": "371302",
        "address": fruit.address,
        "stores": [{"platform": "淘宝", "url": "https://www.FreshFruit-LY.taobao.com/"}],
        "odr_enrolled": True,
    }
    (tea,) = client.get("/api/v1/merchants/", {"q": "茶叶"}).json()
    assert (tea["odr_enrolled"], tea["stores"]) == (False, [])


@pytest.mark.parametrize("q", ["", "   ", "不存在的公司", "tao", "%", "_", "x" * 5000])
def test_merchant_search_finds_nothing_for_nothing(client, shops, q):
    assert _search(client, q) == []


def test_merchant_search_with_a_nul_byte_is_a_400(client, shops):
    response = client.get("/api/v1/merchants/", {"q": "鲜果\x00"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_merchant_search_is_limited_to_20(client):
    for n in range(25):
        af.MerchantFactory(name=f"连锁便利店{n:02d}")
    assert len(_search(client, "连锁便利店")) == 20


# --- The regulator's review queue ----------------------------------------------------------------


def test_review_queue_lists_cases_awaiting_decision_in_the_jurisdiction(c, cases):
    older = cases["mine"]
    newer = cf.submit(consumer=c.consumer, merchant=af.MerchantFactory())  # not enrolled
    assert newer.state == "review"
    queue = selectors.review_queue(user=c.regulator)
    assert [case.reference for case in queue] == [older.reference, newer.reference]
    assert list(selectors.review_queue(user=c.other_regulator)) == []
    for who in ("consumer", "merchant_staff", "mediator", "admin"):
        assert list(selectors.review_queue(user=getattr(c, who))) == []
    case_transition(
        case=older,
        name="reject",
        actor=c.actor("regulator"),
        data={"ground": "other", "reason": "x"},
    )
    assert [case.reference for case in selectors.review_queue(user=c.regulator)] == [
        newer.reference
    ]


def test_a_provincial_regulator_sees_the_whole_province(c, cases):
    province = af.regulator("370000")
    queue = [case.reference for case in selectors.review_queue(user=province)]
    assert queue == [cases["mine"].reference]
    visible = sorted(case.reference for case in selectors.cases_visible_to(user=province))
    assert visible == sorted([cases["mine"].reference, cases["theirs"].reference])


# --- Linking a complaint to a merchant record ------------------------------------------------


def _unlisted(c):
    return cf.submit(
        consumer=c.consumer, merchant=None, merchant_name="某网店", merchant_division_code="371302"
    )


def test_a_regulator_links_an_unlisted_merchant(client, c):
    case = _unlisted(c)
    merchant = af.MerchantFactory(division_code="371311")
    af.login(client, c.regulator)
    url = f"/api/v1/cases/{case.reference}/merchant/"
    response = client.post(url, {"merchant": merchant.pk}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert (body["merchant"], body["merchant_name"], body["division_code"]) == (
        merchant.uscc,
        merchant.name,
        "371311",
    )
    linked = CaseEvent.objects.get(case=case, kind="case.merchant_linked")
    assert linked.payload == {
        "merchant": merchant.uscc,
        "previous": {"name": "某网店", "division_code": "371302"},
    }
    # Linking the same merchant again changes nothing.
    again = client.post(url, {"merchant": merchant.pk}, content_type="application/json")
    assert again.status_code == 200
    assert CaseEvent.objects.filter(case=case, kind="case.merchant_linked").count() == 1


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("consumer", "forbidden"),
        ("other_regulator", "not_your_case"),
        ("merchant_staff", "not_your_case"),
    ],
)
def test_only_regulators_link_merchants(client, c, who, code):
    case = _unlisted(c)
    before = cf.snapshot(case)
    af.login(client, getattr(c, who))
    response = client.post(
        f"/api/v1/cases/{case.reference}/merchant/",
        {"merchant": c.merchant.pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == code
    assert cf.snapshot(case) == before

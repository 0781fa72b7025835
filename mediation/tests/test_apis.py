"""Caucus privacy through every HTTP path (history, timeline, transcript, files), the
mediator's tools over the API, and the console."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, Evidence, Message, State
from cases.selectors import case_timeline
from cases.services.events import event_append
from cases.tests import factories as f
from mediation.models import MediationSession, RoomFile
from mediation.services import chat, tools

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def talk(case, cast):
    """A joint room and both caucuses with a message each."""
    chat.message_send(case=case, actor=cast.actor("consumer"), room="joint", body="大家好")
    chat.message_send(
        case=case, actor=cast.actor("mediator"), room="caucus:consumer", body="消费者私聊"
    )
    chat.message_send(
        case=case, actor=cast.actor("merchant_staff"), room="caucus:merchant", body="商家底价100"
    )
    return case


def history(user, case, room):
    return api(user).get(f"/api/v1/cases/{case.reference}/messages/", {"room": room})


def test_history_serves_every_room_the_caller_may_read(talk, cast):
    joint = history(cast.merchant_staff, talk, "joint")
    assert joint.status_code == 200
    assert [m["body"] for m in joint.json()["results"]][-1] == "大家好"
    own = history(cast.merchant_staff, talk, "caucus:merchant")
    assert [m["body"] for m in own.json()["results"]] == ["商家底价100"]
    mediator = history(cast.mediator, talk, "caucus:consumer")
    assert [m["body"] for m in mediator.json()["results"]] == ["消费者私聊"]


def test_history_refuses_the_other_sides_caucus(talk, cast):
    for user, room in (
        (cast.merchant_staff, "caucus:consumer"),
        (cast.consumer, "caucus:merchant"),
        (cast.regulator, "caucus:consumer"),
        (cast.admin, "caucus:merchant"),
    ):
        response = history(user, talk, room)
        assert response.status_code == 403, (user, room)
        assert response.json()["error"]["code"] == "not_your_room"
        assert "底价" not in response.content.decode()
    assert history(cast.consumer, talk, "lobby").json()["error"]["code"] == "unknown_room"


def test_history_pages_after_a_sequence_number(case, cast):
    for n in range(5):
        chat.message_send(
            case=case, actor=cast.actor("mediator"), room="caucus:merchant", body=f"{n}"
        )
    page = (
        api(cast.mediator)
        .get(
            f"/api/v1/cases/{case.reference}/messages/",
            {"room": "caucus:merchant", "after_seq": 1, "limit": 2},
        )
        .json()
    )
    assert [m["seq"] for m in page["results"]] == [2, 3]
    assert page["has_more"] is True and page["next_after_seq"] == 3


def test_timeline_hides_caucus_events_from_the_other_side(talk, cast):
    with __import__("django").db.transaction.atomic():
        event_append(
            case=talk,
            kind="message.posted",
            actor=cast.mediator,
            actor_role="mediator",
            payload={"room": "caucus:consumer", "seq": 1},
        )

    def kinds(user):
        return [
            (e.kind, e.payload.get("room")) for e in case_timeline(case=talk, user=cast.actor(user))
        ]

    assert ("message.posted", "caucus:consumer") in kinds("consumer")
    assert ("message.posted", "caucus:consumer") in kinds("mediator")
    assert ("message.posted", "caucus:consumer") not in kinds("merchant_staff")
    # Events without a room are untouched by the filter.
    assert len(kinds("merchant_staff")) == CaseEvent.objects.filter(case=talk).count() - 1
    response = api(cast.merchant_staff).get(f"/api/v1/cases/{talk.reference}/events/")
    assert "caucus:consumer" not in response.content.decode()


def test_transcript_is_the_joint_room_only(talk, cast):
    response = api(cast.merchant_staff).get(f"/api/v1/cases/{talk.reference}/transcript/")
    assert response.status_code == 200
    body = response.json()
    assert body["room"] == "joint"
    texts = [m["body"] for m in body["messages"]]
    assert "大家好" in texts
    assert "消费者私聊" not in response.content.decode()
    assert "商家底价100" not in response.content.decode()
    assert body["count"] == len(texts) == Message.objects.filter(case=talk, room="joint").count()
    assert len(body["sha256"]) == 64
    assert [m["seq"] for m in body["messages"]] == list(range(1, body["count"] + 1))
    assert (
        api(cast.arbitration_staff).get(f"/api/v1/cases/{talk.reference}/transcript/").status_code
        == 403
    )
    stranger = f.af.consumer()
    assert api(stranger).get(f"/api/v1/cases/{talk.reference}/transcript/").status_code == 403


def test_posting_over_http_uses_the_same_rules(case, cast):
    url = f"/api/v1/cases/{case.reference}/mediation/messages/"
    first = api(cast.consumer).post(
        url, {"room": "joint", "body": "你好", "client_id": "h1"}, format="json"
    )
    assert first.status_code == 201
    again = api(cast.consumer).post(
        url, {"room": "joint", "body": "你好", "client_id": "h1"}, format="json"
    )
    assert again.status_code == 200 and again.json()["seq"] == first.json()["seq"]
    other = api(cast.merchant_staff).post(
        url, {"room": "caucus:consumer", "body": "x"}, format="json"
    )
    assert other.status_code == 403 and other.json()["error"]["code"] == "not_your_room"


def test_files_shared_into_rooms(case, cast):
    url = f"/api/v1/cases/{case.reference}/mediation/files/"
    joint = api(cast.consumer).post(
        url, {"room": "joint", "file": f.upload("receipt.png", f.png_bytes())}, format="multipart"
    )
    assert joint.status_code == 201, joint.content
    assert joint.json()["file"]["name"] == "receipt.png"
    assert Evidence.objects.filter(case=case, original_name="receipt.png").count() == 1
    private = api(cast.consumer).post(
        url,
        {"room": "caucus:consumer", "file": f.upload("bank.pdf", f.pdf_bytes())},
        format="multipart",
    )
    assert private.status_code == 201
    room_file = RoomFile.objects.get(original_name="bank.pdf")
    assert room_file.evidence_id is None and room_file.room == "caucus:consumer"
    assert not Evidence.objects.filter(original_name="bank.pdf").exists()
    file_url = private.json()["file"]["url"]
    assert api(cast.merchant_staff).get(file_url).status_code == 403
    bad = api(cast.consumer).post(
        url, {"room": "joint", "file": f.upload("x.exe", f.elf_bytes())}, format="multipart"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unsupported_file"
    shared = api(cast.merchant_staff).post(
        url, {"room": "joint", "evidence": room_file.pk + 10_000}, format="json"
    )
    assert shared.status_code == 404
    download = api(cast.mediator).get(file_url)  # last: reading it ends the "request"
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == f.pdf_bytes()
    download.close()


def test_mediator_tools_over_the_api(case, cast):
    base = f"/api/v1/cases/{case.reference}/mediation/"
    mediator, consumer = api(cast.mediator), api(cast.consumer)
    starts = (timezone.now() + dt.timedelta(days=1)).isoformat()
    session = mediator.post(
        base + "sessions/", {"starts_at": starts, "duration_minutes": 45}, format="json"
    )
    assert session.status_code == 201
    event = CaseEvent.objects.get(case=case, kind="mediation.session_scheduled")
    assert event.payload["starts_at"] and event.payload["session"] == session.json()["id"]
    assert MediationSession.objects.filter(case=case).count() == 1
    assert (
        consumer.post(base + "sessions/", {"starts_at": starts}, format="json").status_code == 403
    )
    muted = mediator.post(base + "parties/merchant/mute/", {"minutes": 5}, format="json")
    assert muted.status_code == 200 and muted.json()["muted_until"]
    assert (
        mediator.post(base + "parties/nobody/mute/", {"minutes": 5}, format="json").status_code
        == 400
    )
    caucus = mediator.post(base + "parties/consumer/caucus/", {}, format="json")
    assert caucus.json()["in_caucus"] is True
    back = mediator.post(base + "parties/consumer/joint/", {}, format="json")
    assert back.json()["in_caucus"] is False
    proposal = mediator.post(
        base + "proposals/",
        {"kind": "refund", "amount": "120.00", "description": "退款120元", "performance_days": 3},
        format="json",
    )
    assert proposal.status_code == 201
    pid = proposal.json()["proposal"]
    assert consumer.post(base + f"proposals/{pid}/accept/").json()["case_state"] == "mediation"
    done = api(cast.merchant_staff).post(base + f"proposals/{pid}/accept/").json()
    assert done["case_state"] == "settled" and done["status"] == "agreed"
    case.refresh_from_db()
    assert case.settlement_terms["amount"] == "120.00"
    assert case.performance_due_on == timezone.localdate() + dt.timedelta(days=3)


def test_terminate_with_a_ground_of_the_rule_set(case, cast):
    url = f"/api/v1/cases/{case.reference}/mediation/terminate/"
    bad = api(cast.mediator).post(url, {"ground": "made_up", "reason": "x"}, format="json")
    assert bad.status_code == 400
    assert (
        api(cast.consumer)
        .post(url, {"ground": "agreement_impossible", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    ok = api(cast.mediator).post(
        url, {"ground": "agreement_impossible", "reason": "分歧太大"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["state"] == State.MEDIATION_FAILED
    assert Case.objects.get(pk=case.pk).ground == "agreement_impossible"


def test_console_lists_unread_counts_deadline_and_presence(case, cast):
    chat.message_send(case=case, actor=cast.actor("consumer"), room="joint", body="在吗")
    chat.message_send(
        case=case, actor=cast.actor("merchant_staff"), room="caucus:merchant", body="底价"
    )
    rows = api(cast.mediator).get("/api/v1/mediation/console/").json()["rows"]
    row = next(r for r in rows if r["reference"] == case.reference)
    joint_total = Message.objects.filter(case=case, room="joint").count()
    assert row["unread"] == {"joint": joint_total, "caucus:consumer": 0, "caucus:merchant": 1}
    assert row["deadline_due_on"]
    chat.read_mark(case=case, actor=cast.actor("mediator"), room="joint", seq=joint_total)
    row = next(
        r
        for r in api(cast.mediator).get("/api/v1/mediation/console/").json()["rows"]
        if r["reference"] == case.reference
    )
    assert row["unread"]["joint"] == 0 and row["unread_total"] == 1
    assert api(cast.consumer).get("/api/v1/mediation/console/").status_code == 403


def test_pages_render_and_escape(case, cast, client):
    from accounts.tests.factories import login

    chat.message_send(case=case, actor=cast.actor("consumer"), room="joint", body="<b>x</b>")
    login(client, cast.mediator)
    console = client.get("/mediation/")
    assert console.status_code == 200 and case.reference in console.content.decode()
    page = client.get(f"/mediation/cases/{case.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>" not in html.replace('<script src="', "").replace(
        '<script id="med-i18n" type="application/json">', ""
    )
    login(client, cast.other_merchant_staff)
    assert client.get(f"/mediation/cases/{case.reference}/").status_code == 403
    assert client.get("/mediation/").status_code == 403


def test_proposal_amount_and_kind_are_checked(case, cast):
    from odr.errors import DomainError

    with pytest.raises(DomainError):
        tools.proposal_make(
            case=case, actor=cast.actor("mediator"), kind="refund", description="退款"
        )
    with pytest.raises(DomainError):
        tools.proposal_make(
            case=case, actor=cast.actor("mediator"), kind="gift", description="x", amount=Decimal(1)
        )

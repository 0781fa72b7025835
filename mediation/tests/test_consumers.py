"""The live case socket through WebsocketCommunicator: refusals, persistence before
broadcast, resume, client ids, caucus privacy, typing, presence, read receipts, limits."""

import datetime as dt
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.db import IntegrityError
from django.utils import timezone

from accounts.tests import factories as af
from cases.models import Case, Message, State
from cases.services.transitions import case_transition
from cases.tests import factories as f
from mediation.models import Presence, ReadMark
from mediation.services import chat, tools
from mediation.tests.conftest import (
    closed,
    communicator,
    log_out,
    open_socket,
    refused,
    session_key,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


def rows(case, room):
    return list(
        Message.objects.filter(case=case, room=room).order_by("seq").values_list("seq", "body")
    )


# --- refusals on connect -----------------------------------------------------------------


async def test_anonymous_is_refused_with_4401(case):
    error, close = await refused(case.reference, None)
    assert error["code"] == "login_required"
    assert close == {"type": "websocket.close", "code": 4401, "reason": "login_required"}


async def test_stranger_is_refused_with_4403(case):
    stranger = await db(af.consumer)()
    error, close = await refused(case.reference, stranger)
    assert (close["code"], close["reason"]) == (4403, "not_your_case")
    assert error["type"] == "error"


async def test_merchant_of_another_case_is_refused(case, cast):
    _error, close = await refused(case.reference, cast.other_merchant_staff)
    assert (close["code"], close["reason"]) == (4403, "not_your_case")


async def test_other_mediator_is_refused(case, cast):
    _error, close = await refused(case.reference, cast.other_mediator)
    assert (close["code"], close["reason"]) == (4403, "not_your_case")


async def test_unknown_case_is_refused_with_4404(case, cast):
    _error, close = await refused("LY-2099-999999", cast.consumer)
    assert (close["code"], close["reason"]) == (4404, "not_found")


async def test_consumer_asking_for_the_merchants_caucus_is_refused(case, cast):
    _error, close = await refused(case.reference, cast.consumer, "?room=caucus:merchant")
    assert (close["code"], close["reason"]) == (4403, "not_your_room")


async def test_closed_case_is_refused_with_4410(case, cast):
    await db(
        lambda: case_transition(
            case=case, name="withdraw", actor=cast.actor("consumer"), data={"reason": "私了"}
        )
    )()
    _error, close = await refused(case.reference, cast.consumer)
    assert (close["code"], close["reason"]) == (4410, "case_closed")


async def test_foreign_origin_is_refused_at_the_handshake(case, cast):
    key = await db(session_key)(cast.consumer)
    comm = communicator(f"/ws/cases/{case.reference}/", key, origin=b"https://evil.example")
    connected, _ = await comm.connect()
    assert not connected


async def test_hello_lists_only_the_rooms_each_may_read(sockets):
    rooms_of = {who: [r["room"] for r in sock.hello["rooms"]] for who, sock in sockets.items()}
    assert rooms_of["consumer"] == ["negotiation", "joint", "caucus:consumer"]
    assert rooms_of["merchant_staff"] == ["negotiation", "joint", "caucus:merchant"]
    assert rooms_of["mediator"] == ["negotiation", "joint", "caucus:consumer", "caucus:merchant"]
    writable = {r["room"] for r in sockets["consumer"].hello["rooms"] if r["write"]}
    assert writable == {"joint", "caucus:consumer"}


# --- refusals per action -----------------------------------------------------------------


async def test_resume_of_the_other_sides_caucus_closes_the_socket(sockets):
    consumer = sockets["consumer"]
    await consumer.send({"type": "resume", "room": "caucus:merchant", "after_seq": 0})
    error = await consumer.next_of("error")
    assert error["code"] == "not_your_room"
    close = await consumer.comm.receive_output(timeout=3)
    assert (close["code"], close["reason"]) == (4403, "not_your_room")


async def test_send_to_the_other_sides_caucus_closes_the_socket(sockets, case):
    merchant = sockets["merchant_staff"]
    await merchant.send({"type": "send", "room": "caucus:consumer", "body": "hi", "client_id": "x"})
    assert (await merchant.next_of("error"))["code"] == "not_your_room"
    close = await merchant.comm.receive_output(timeout=3)
    assert close["code"] == 4403
    assert await db(rows)(case, "caucus:consumer") == []


async def test_read_only_room_is_an_error_not_a_close(sockets, case, cast):
    regulator = await open_socket(case.reference, cast.regulator)
    try:
        assert [r["room"] for r in regulator.hello["rooms"]] == ["negotiation", "joint"]
        answer = await regulator.say("joint", "监管提示")
        assert answer["code"] == "read_only"
        await regulator.send({"type": "heartbeat"})
        assert (await regulator.next_of("beat"))["type"] == "beat"
    finally:
        await regulator.close()


async def test_losing_access_closes_the_socket(sockets, case, cast):
    """Another mediator assigned: the old one's socket closes at the next check."""
    consumer, mediator = sockets["consumer"], sockets["mediator"]
    await db(Case.objects.filter(pk=case.pk).update)(mediator=cast.other_mediator)
    await mediator.send({"type": "send", "room": "joint", "body": "还在吗", "client_id": "m1"})
    assert (await mediator.next_of("error"))["code"] == "not_your_case"
    close = await mediator.comm.receive_output(timeout=3)
    assert (close["code"], close["reason"]) == (4403, "not_your_case")
    await consumer.quiet()


async def test_case_closed_closes_every_socket(sockets, case, cast):
    await db(
        lambda: case_transition(
            case=case, name="withdraw", actor=cast.actor("consumer"), data={"reason": "已和解"}
        )
    )()
    for sock in sockets.values():
        assert await closed(sock.comm) == (4410, "case_closed")


async def test_logout_closes_that_sessions_socket(case, cast):
    key = await db(session_key)(cast.consumer)
    comm = communicator(f"/ws/cases/{case.reference}/", key)
    assert (await comm.connect())[0]
    assert (await comm.receive_json_from(timeout=3))["type"] == "hello"

    await db(log_out)(cast.consumer, key)
    assert await closed(comm) == (4401, "logged_out")


async def test_signed_out_session_is_found_by_the_heartbeat(sockets, case, cast):
    """Even when the logout broadcast was lost, the next heartbeat finds the session gone."""
    from django.contrib.sessions.models import Session

    await db(Session.objects.all().delete)()
    consumer = sockets["consumer"]
    await consumer.send({"type": "heartbeat"})
    assert await closed(consumer.comm) == (4401, "logged_out")


async def test_a_password_change_ends_the_sockets_of_older_sessions(sockets, case, cast):
    """As for a request: the session's hash of the password no longer matches."""

    def change_password():
        cast.merchant_staff.set_password("a-new-password-123")
        cast.merchant_staff.save(update_fields=["password"])

    await db(change_password)()
    merchant = sockets["merchant_staff"]
    await merchant.send({"type": "heartbeat"})
    assert await closed(merchant.comm) == (4401, "logged_out")


async def test_binary_and_empty_frames_get_an_answer_not_a_crash(sockets):
    consumer = sockets["consumer"]
    await consumer.comm.send_to(bytes_data=b"\x00\x01")
    assert (await consumer.next_of("error"))["code"] == "unknown_type"
    await consumer.comm.send_input({"type": "websocket.receive", "text": ""})
    assert (await consumer.next_of("error"))["code"] == "unknown_type"
    assert (await consumer.say("joint", "还在吗"))["type"] == "ack"


# --- nothing lost ------------------------------------------------------------------------


async def test_message_is_saved_then_delivered_to_every_reader(sockets, case):
    consumer, merchant, mediator = (
        sockets["consumer"],
        sockets["merchant_staff"],
        sockets["mediator"],
    )
    ack = await consumer.say("joint", "苹果烂了 <script>alert(1)</script>", "c-1")
    assert ack == {
        "type": "ack",
        "room": "joint",
        "seq": ack["seq"],
        "client_id": "c-1",
        "duplicate": False,
    }
    saved = await db(rows)(case, "joint")
    assert saved[-1] == (ack["seq"], "苹果烂了 <script>alert(1)</script>")
    for sock in (merchant, mediator, consumer):
        message = await sock.next_of("message")
        assert message["seq"] == ack["seq"]
        assert message["body"] == "苹果烂了 <script>alert(1)</script>"  # text: escaped on display
        assert message["author_role"] == "consumer"


async def test_a_message_the_database_refused_is_never_delivered(sockets, case, monkeypatch):
    consumer, merchant = sockets["consumer"], sockets["merchant_staff"]
    first = await consumer.say("joint", "第一条", "c-1")
    await merchant.next_of("message")

    def clash(last):  # the number of the first message again: the insert fails
        return first["seq"]

    monkeypatch.setattr(chat, "_next_seq_after", clash)
    answer = await consumer.say("joint", "第二条", "c-2")
    assert answer["type"] == "error"
    assert answer["code"] == "not_saved"
    assert answer["client_id"] == "c-2"
    await merchant.quiet()
    assert [body for _seq, body in await db(rows)(case, "joint")][-1] == "第一条"


async def test_persistence_error_inside_the_transaction_sends_nothing(sockets, case, monkeypatch):
    """The broadcast is scheduled inside the transaction: a later failure drops it."""
    consumer, merchant = sockets["consumer"], sockets["merchant_staff"]
    original = chat._after_commit_broadcast

    def then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise IntegrityError("simulated failure after the insert")

    monkeypatch.setattr(chat, "_after_commit_broadcast", then_fail)
    answer = await consumer.say("joint", "不会送达", "c-3")
    assert answer["code"] == "not_saved"
    await merchant.quiet()
    assert "不会送达" not in [b for _s, b in await db(rows)(case, "joint")]


async def test_resume_returns_exactly_the_missed_messages_in_order(sockets, case, cast):
    consumer, merchant = sockets["consumer"], sockets["merchant_staff"]
    seqs = []
    for n in range(5):
        ack = await merchant.say("joint", f"m{n}", f"k{n}")
        seqs.append(ack["seq"])
    # The live broadcasts reach the consumer first (after each commit, in any order with the
    # acks): take all five, so that a late one cannot be mistaken for a resumed message.
    live = sorted([(await consumer.next_of("message"))["seq"] for _ in seqs])
    assert live == seqs
    await consumer.send({"type": "resume", "room": "joint", "after_seq": seqs[1]})
    resumed = []
    while True:
        frame = await consumer.next_of("message", "resumed")
        if frame["type"] == "resumed":
            break
        resumed.append(frame)
    # The resume returns seqs[2:] exactly, in order.
    assert [m["seq"] for m in resumed] == seqs[2:]
    assert [m["body"] for m in resumed] == ["m2", "m3", "m4"]
    assert frame == {"type": "resumed", "room": "joint", "last_seq": seqs[-1]}
    # Nothing after the last.
    await consumer.send({"type": "resume", "room": "joint", "after_seq": seqs[-1]})
    assert await consumer.next_of("message", "resumed") == {
        "type": "resumed",
        "room": "joint",
        "last_seq": seqs[-1],
    }


async def test_resume_on_a_fresh_socket_after_a_drop(case, cast):
    consumer = await open_socket(case.reference, cast.consumer)
    merchant = await open_socket(case.reference, cast.merchant_staff)
    try:
        seen = (await consumer.say("joint", "a", "a"))["seq"]
        await consumer.close()
        expected = [
            (await merchant.say("joint", f"while away {n}", f"w{n}"))["seq"] for n in range(3)
        ]
        back = await open_socket(case.reference, cast.consumer)
        await back.send({"type": "resume", "room": "joint", "after_seq": seen})
        got = []
        while (frame := await back.next_of("message", "resumed"))["type"] == "message":
            got.append(frame["seq"])
        assert got == expected
        await back.close()
    finally:
        await merchant.close()


async def test_a_retried_client_id_is_not_duplicated(sockets, case, cast):
    consumer, merchant = sockets["consumer"], sockets["merchant_staff"]
    first = await consumer.say("joint", "重发测试", "same-id")
    again = await consumer.say("joint", "重发测试", "same-id")
    assert again["seq"] == first["seq"]
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert [b for _s, b in await db(rows)(case, "joint")].count("重发测试") == 1
    # Also on another socket of the same user (the client reconnected).
    other = await open_socket(case.reference, cast.consumer)
    try:
        third = await other.say("joint", "重发测试", "same-id")
        assert third["seq"] == first["seq"] and third["duplicate"] is True
    finally:
        await other.close()
    assert (await merchant.next_of("message"))["seq"] == first["seq"]
    await merchant.quiet()


# --- caucus privacy ----------------------------------------------------------------------


async def test_caucus_is_never_sent_to_the_other_side(sockets, case):
    consumer, merchant, mediator = (
        sockets["consumer"],
        sockets["merchant_staff"],
        sockets["mediator"],
    )
    ack = await mediator.say("caucus:consumer", "您的底线是多少？", "p-1")
    assert (await consumer.next_of("message"))["seq"] == ack["seq"]
    reply = await consumer.say("caucus:consumer", "至少退一半", "p-2")
    assert reply["type"] == "ack"
    assert (await mediator.next_of("message"))["room"] == "caucus:consumer"
    await merchant.quiet(timeout=0.5)
    await merchant.send({"type": "resume", "room": "caucus:consumer", "after_seq": 0})
    assert (await merchant.next_of("error"))["code"] == "not_your_room"


# --- in the room -------------------------------------------------------------------------


async def test_typing_reaches_the_others_and_is_not_saved(sockets, case):
    consumer, merchant = sockets["consumer"], sockets["merchant_staff"]
    before = await db(Message.objects.count)()
    await consumer.send({"type": "typing", "room": "joint"})
    frame = await merchant.next_of("typing")
    assert frame == {
        "type": "typing",
        "room": "joint",
        "role": "consumer",
        "user": case.consumer_id,
    }
    await consumer.quiet(types=("typing",))
    assert await db(Message.objects.count)() == before


async def test_presence_follows_heartbeats_not_disconnects(sockets, case, cast):
    consumer, mediator = sockets["consumer"], sockets["mediator"]
    await mediator.send({"type": "heartbeat"})
    beat = await mediator.next_of("beat")
    assert {p["role"] for p in beat["online"]} == {"consumer", "merchant", "mediator"}
    assert beat["state"] == "mediation"  # a client that missed a state frame catches up
    assert beat["last_seq"]["caucus:merchant"] == 0
    # The merchant's server died: no disconnect came, its heartbeat expired.
    await db(Presence.objects.filter(case=case, user=cast.merchant_staff).update)(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    await consumer.send({"type": "heartbeat"})
    # Announcements made before the expiry (each socket's join) may still be on their way
    # through the channel layer; they list the merchant. The first one that does not is
    # the consumer's heartbeat dropping the expired row, and it must keep the mediator.
    while True:
        presence = await mediator.next_of("presence")
        if "merchant" not in {p["role"] for p in presence["online"]}:
            break
    assert {p["role"] for p in presence["online"]} == {"consumer", "mediator"}


async def test_read_receipts_only_grow(sockets, case, cast):
    consumer, merchant = sockets["consumer"], sockets["merchant_staff"]
    seqs = [(await merchant.say("joint", f"r{n}", f"r{n}"))["seq"] for n in range(3)]
    await consumer.send({"type": "read", "room": "joint", "seq": seqs[1]})
    read = await merchant.next_of("read")
    assert read == {"type": "read", "room": "joint", "user": cast.consumer.pk, "seq": seqs[1]}
    await consumer.send({"type": "read", "room": "joint", "seq": seqs[0]})
    await consumer.send({"type": "read", "room": "joint", "seq": 10_000})
    await merchant.next_of("read")
    mark = await db(ReadMark.objects.get)(case=case, room="joint", user=cast.consumer)
    assert mark.last_read_seq == seqs[2]  # capped at the room's last message, never back


async def test_too_long_and_empty_messages_are_refused(sockets, case):
    consumer = sockets["consumer"]
    assert (await consumer.say("joint", "长" * 4001, "long"))["code"] == "too_long"
    assert (await consumer.say("joint", "   ", "empty"))["code"] == "empty_message"
    ok = await consumer.say("joint", "长" * 4000, "exactly")
    assert ok["type"] == "ack"
    await consumer.send({"type": "nonsense"})
    assert (await consumer.next_of("error"))["code"] == "unknown_type"
    await consumer.comm.send_to(text_data="not json")
    assert (await consumer.next_of("error"))["code"] == "unknown_type"
    await consumer.send({"type": "resume", "room": "joint", "after_seq": -1})
    assert (await consumer.next_of("error"))["code"] == "invalid_seq"


async def test_more_than_ten_messages_in_ten_seconds_is_politely_refused(sockets, case):
    consumer = sockets["consumer"]
    for n in range(10):
        assert (await consumer.say("joint", f"快{n}", f"q{n}"))["type"] == "ack"
    refused_frame = await consumer.say("joint", "第十一条", "q10")
    assert refused_frame["code"] == "too_fast"
    assert refused_frame["retry_after"] >= 1
    assert "wait" in refused_frame["message"] or "请" in refused_frame["message"]
    assert await db(Message.objects.filter(case=case, client_id="q10").count)() == 0


async def test_muted_party_and_party_in_caucus_are_refused_in_the_joint_room(sockets, case, cast):
    consumer, merchant, mediator = (
        sockets["consumer"],
        sockets["merchant_staff"],
        sockets["mediator"],
    )
    await db(
        lambda: tools.party_mute(
            case=case, actor=cast.actor("mediator"), party="merchant", minutes=5
        )
    )()
    standing = await merchant.next_of("standing")
    assert standing["party"] == "merchant" and standing["muted_until"]
    assert (await merchant.say("joint", "我要说话", "m-1"))["code"] == "muted"
    assert (await merchant.say("caucus:merchant", "私下说", "m-2"))["type"] == "ack"
    await db(
        lambda: tools.party_to_caucus(case=case, actor=cast.actor("mediator"), party="consumer")
    )()
    standing = await consumer.next_of("standing")
    while standing["party"] != "consumer":
        standing = await consumer.next_of("standing")
    assert standing["in_caucus"] is True
    assert (await consumer.say("joint", "在吗", "c-1"))["code"] == "in_caucus"
    assert (await consumer.say("caucus:consumer", "在私聊", "c-2"))["type"] == "ack"
    assert (await mediator.say("joint", "调解员发言", "med-1"))["type"] == "ack"


async def test_system_messages_for_state_changes_reach_the_joint_room(sockets, case, cast):
    consumer = sockets["consumer"]
    joint = await db(rows)(case, "joint")

    # Accepting the case and starting the mediation clock were announced already.
    def system_rows():
        return list(
            Message.objects.filter(case=case, room="joint", author_role="system").values_list(
                "client_id", flat=True
            )
        )

    assert len(joint) == 2
    assert len(await db(system_rows)()) == 2
    await db(
        lambda: tools.mediation_terminate(
            case=case,
            actor=cast.actor("mediator"),
            ground="agreement_impossible",
            reason="分歧太大",
        )
    )()
    seen: dict[str, dict] = {}
    while len(seen) < 2:
        frame = await consumer.next_of("message", "state")
        seen[frame["type"]] = frame
    message = seen["message"]
    assert message["system"] is True and message["author_role"] == "system"
    assert "二十三" in message["body"] or "23" in message["body"]
    assert seen["state"]["state"] == State.MEDIATION_FAILED
    assert (await consumer.say("joint", "还能说吗", "late"))["code"] == "room_closed"


async def test_agreement_when_both_parties_accept(sockets, case, cast):
    consumer = sockets["consumer"]
    proposal = await db(
        lambda: tools.proposal_make(
            case=case,
            actor=cast.actor("mediator"),
            kind="refund",
            amount=Decimal("150"),
            description="退款150元",
            performance_days=5,
        )
    )()
    frame = await consumer.next_of("proposal")
    assert frame["proposal"] == proposal.pk and frame["status"] == "open"
    await db(
        lambda: tools.proposal_accept(
            case=case, proposal_id=proposal.pk, actor=cast.actor("consumer")
        )
    )()
    assert (await db(Case.objects.get)(pk=case.pk)).state == State.MEDIATION
    await db(
        lambda: tools.proposal_accept(
            case=case, proposal_id=proposal.pk, actor=cast.actor("merchant_staff")
        )
    )()
    settled = await db(Case.objects.get)(pk=case.pk)
    assert settled.state == State.SETTLED
    assert settled.settlement_terms["description"] == "退款150元"

    def last_transition():
        return settled.events.filter(kind="transition.reach_agreement").get()

    event = await db(last_transition)()
    assert event.actor_id == cast.mediator.pk and event.actor_role == "mediator"
    assert (await consumer.next_of("state"))["state"] == State.SETTLED


async def test_unknown_room_is_an_error(sockets):
    consumer = sockets["consumer"]
    assert (await consumer.say("lobby", "hi", "x"))["code"] == "unknown_room"
    assert (await consumer.say("negotiation", "hi", "y"))["code"] == "negotiation_room"


async def test_negotiation_messages_posted_on_the_page_are_delivered_live(cast):
    case = await db(f.case_in)(State.NEGOTIATION, cast)
    merchant = await open_socket(case.reference, cast.merchant_staff)
    try:
        from cases.services.negotiation import message_post

        message = await db(
            lambda: message_post(case=case, actor=cast.actor("consumer"), body="请退款")
        )()
        frame = await merchant.next_of("message")
        assert (frame["room"], frame["seq"], frame["body"]) == (
            "negotiation",
            message.seq,
            "请退款",
        )
    finally:
        await merchant.close()

"""The live unread badge: /ws/inbox/ counts the signed-in user's unread in-app notices
and pushes the count again when they change (a new notice, a read mark), only to them."""

import pytest
from channels.db import database_sync_to_async

from cases.models import State
from cases.services.events import event_append
from cases.tests import factories as f
from mediation.tests.conftest import communicator, log_out, session_key
from notifications.models import Notification
from notifications.services import inbox, live

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


def _unread(user) -> int:
    return Notification.objects.filter(
        recipient=user, channel=Notification.Channel.INAPP, read_at__isnull=True
    ).count()


def _offer(case, actor, side: str) -> Notification:
    """An offer event by one side, committed: the other side gets an in-app notice (and
    its sockets a push) as the services write them. The consumer's notice is returned."""
    from django.db import transaction

    with transaction.atomic():
        event = event_append(
            case=case,
            kind="offer.made",
            actor=actor,
            actor_role=side,
            payload={"kind": "refund", "amount": "10.00", "description": "退款十元"},
        )
    return Notification.objects.filter(event=event, channel=Notification.Channel.INAPP).first()


async def _open(user):
    key = await db(session_key)(user)
    comm = communicator("/ws/inbox/", key)
    assert (await comm.connect())[0]
    return comm, key


async def _close_of(comm) -> dict:
    while True:
        out = await comm.receive_output(timeout=3)
        if out["type"] == "websocket.close":
            return out


@pytest.mark.asyncio
async def test_a_visitor_is_refused():
    comm = communicator("/ws/inbox/")
    assert (await comm.connect())[0]
    assert await comm.receive_json_from(timeout=3) == {"type": "error", "code": "login_required"}
    assert (await _close_of(comm))["code"] == 4401


@pytest.mark.asyncio
async def test_the_count_comes_on_open_and_again_on_a_new_notice():
    cast = await db(f.cast)()
    case = await db(f.case_in)(State.NEGOTIATION, cast)
    before = await db(_unread)(cast.consumer)
    comm, _key = await _open(cast.consumer)
    assert await comm.receive_json_from(timeout=3) == {"type": "unread", "unread": before}

    await db(_offer)(case, cast.merchant_staff, "merchant")
    assert await comm.receive_json_from(timeout=3) == {"type": "unread", "unread": before + 1}
    await comm.disconnect()


@pytest.mark.asyncio
async def test_anothers_notice_is_not_pushed_to_this_socket():
    cast = await db(f.cast)()
    case = await db(f.case_in)(State.NEGOTIATION, cast)
    comm, _key = await _open(cast.consumer)
    first = await comm.receive_json_from(timeout=3)
    assert first["type"] == "unread"

    await db(_offer)(case, cast.consumer, "consumer")
    assert await comm.receive_nothing(timeout=0.6)
    # The merchant's own socket does hear of it.
    theirs, _key = await _open(cast.merchant_staff)
    assert (await theirs.receive_json_from(timeout=3))["unread"] == await db(_unread)(
        cast.merchant_staff
    )
    await comm.disconnect()
    await theirs.disconnect()


@pytest.mark.asyncio
async def test_reading_in_one_tab_lowers_the_badge_in_another():
    cast = await db(f.cast)()
    case = await db(f.case_in)(State.NEGOTIATION, cast)
    notice = await db(_offer)(case, cast.merchant_staff, "merchant")
    assert notice.recipient_id == cast.consumer.pk
    comm, _key = await _open(cast.consumer)
    count = (await comm.receive_json_from(timeout=3))["unread"]
    assert count >= 1

    await db(inbox.notification_mark_read)(user=cast.consumer, notification_id=notice.pk)
    assert await comm.receive_json_from(timeout=3) == {"type": "unread", "unread": count - 1}
    await comm.disconnect()


@pytest.mark.asyncio
async def test_the_heartbeat_answers_with_the_count_and_finds_a_session_gone():
    from django.contrib.sessions.models import Session

    cast = await db(f.cast)()
    comm, _key = await _open(cast.consumer)
    count = (await comm.receive_json_from(timeout=3))["unread"]
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_json_from(timeout=3) == {"type": "unread", "unread": count}

    await db(Session.objects.all().delete)()
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_json_from(timeout=3) == {"type": "error", "code": "logged_out"}
    assert (await _close_of(comm))["code"] == 4401


@pytest.mark.asyncio
async def test_logging_out_closes_the_badge_socket():
    cast = await db(f.cast)()
    comm, key = await _open(cast.consumer)
    assert (await comm.receive_json_from(timeout=3))["type"] == "unread"

    await db(log_out)(cast.consumer, key)
    close = await _close_of(comm)
    assert (close["code"], close["reason"]) == (4401, "logged_out")


def test_a_case_event_announces_its_notices_after_commit(monkeypatch):
    """Recording an event's notices tells the recipients' sockets, once the event commits."""
    from django.db import transaction

    sent: list[list[int]] = []
    monkeypatch.setattr(live, "_send", lambda ids: sent.append(ids))
    cast = f.cast()
    case = f.case_in(State.NEGOTIATION, cast)
    sent.clear()  # the factories' own events
    with transaction.atomic():
        event = event_append(
            case=case,
            kind="offer.made",
            actor=cast.merchant_staff,
            actor_role="merchant",
            payload={"kind": "refund", "amount": "10.00", "description": "退款"},
        )
        # The in-transaction handler wrote the notices; nothing is sent before the commit.
        assert Notification.objects.filter(event=event, recipient=cast.consumer).exists()
        assert sent == []
    assert sent and cast.consumer.pk in sent[-1]
    assert cast.merchant_staff.pk not in sent[-1]  # the actor is not told of their own act


@pytest.mark.asyncio
async def test_a_deactivated_users_badge_socket_closes_at_once():
    from accounts.services import user_set_active

    cast = await db(f.cast)()
    comm, _key = await _open(cast.consumer)
    assert (await comm.receive_json_from(timeout=3))["type"] == "unread"
    await db(user_set_active)(user=cast.consumer, is_active=False)
    assert await comm.receive_json_from(timeout=3) == {"type": "error", "code": "logged_out"}
    assert (await _close_of(comm))["code"] == 4401


@pytest.mark.asyncio
async def test_binary_empty_and_malformed_frames_are_ignored():
    cast = await db(f.cast)()
    comm, _key = await _open(cast.consumer)
    count = (await comm.receive_json_from(timeout=3))["unread"]
    await comm.send_to(bytes_data=b"\x00\x01")
    await comm.send_input({"type": "websocket.receive", "text": ""})
    await comm.send_to(text_data="{not json")
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_json_from(timeout=3) == {"type": "unread", "unread": count}
    await comm.disconnect()


@pytest.mark.asyncio
async def test_a_frame_on_a_refused_socket_is_not_an_error():
    comm = communicator("/ws/inbox/")
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_json_from(timeout=3) == {"type": "error", "code": "login_required"}
    assert (await _close_of(comm))["code"] == 4401
    await comm.send_input({"type": "websocket.disconnect", "code": 4401})
    await comm.wait(timeout=3)  # raises if the consumer failed on the heartbeat


@pytest.mark.asyncio
async def test_a_password_change_ends_the_badge_socket():
    """As for a request: the session's password hash no longer matches, so it is over."""
    cast = await db(f.cast)()
    comm, _key = await _open(cast.consumer)
    assert (await comm.receive_json_from(timeout=3))["type"] == "unread"

    def change_password():
        cast.consumer.set_password("a-new-password-123")
        cast.consumer.save(update_fields=["password"])

    await db(change_password)()
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_json_from(timeout=3) == {"type": "error", "code": "logged_out"}
    assert (await _close_of(comm))["code"] == 4401

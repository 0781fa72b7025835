"""A socket that loses the right to read a room stops receiving it, even if it only
listens: access is checked again before a broadcast is passed on (here before every one:
MEDIATION_ACCESS_RECHECK_SECONDS = 0), and on every heartbeat the socket leaves the groups
of rooms it may no longer read."""

import pytest
from channels.db import database_sync_to_async

from accounts.models import Role, User
from cases.models import Case
from mediation.tests.conftest import open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async


@pytest.fixture(autouse=True)
def _recheck_before_every_broadcast(settings):
    settings.MEDIATION_ACCESS_RECHECK_SECONDS = 0


async def _closed_without_the_message(socket) -> None:
    """The socket is told why and closed with 4403/4401, and gets no message first."""
    frame = await socket.next_of("message", "error")
    assert frame["type"] == "error", frame
    assert frame["code"] in ("not_your_case", "login_required"), frame
    closing = await socket.comm.receive_output(timeout=3)
    assert closing["type"] == "websocket.close", closing
    assert closing["code"] in (4401, 4403), closing


async def test_a_listener_whose_access_was_taken_away_is_closed_not_told(case, cast):
    merchant = await open_socket(case.reference, cast.merchant_staff)
    consumer = await open_socket(case.reference, cast.consumer)
    try:
        await db(lambda: Role.objects.filter(user=cast.merchant_staff).delete())()
        await db(lambda: User.objects.filter(pk=cast.merchant_staff.pk).update(is_active=False))()
        ack = await consumer.say("joint", "secret after revocation", "c1")
        assert ack["type"] == "ack", ack
        await _closed_without_the_message(merchant)
    finally:
        await merchant.close()
        await consumer.close()


async def test_a_replaced_mediator_hears_no_caucus(case, cast):
    mediator = await open_socket(case.reference, cast.mediator)
    consumer = await open_socket(case.reference, cast.consumer)
    try:
        await db(Case.objects.filter(pk=case.pk).update)(mediator=cast.other_mediator)
        ack = await consumer.say("caucus:consumer", "private to my new mediator", "c2")
        assert ack["type"] == "ack", ack
        await _closed_without_the_message(mediator)
    finally:
        await mediator.close()
        await consumer.close()


async def test_a_mediator_who_is_only_a_regulator_now_leaves_the_caucus(case, cast):
    """Still allowed to view the case (as a regulator of the area), so the socket stays
    open, but no longer in the caucus."""
    await db(
        lambda: Role.objects.create(
            user=cast.mediator, kind=Role.Kind.REGULATOR, jurisdiction="371300"
        )
    )()
    mediator = await open_socket(case.reference, cast.mediator)
    consumer = await open_socket(case.reference, cast.consumer)
    try:
        assert "caucus:consumer" in [r["room"] for r in mediator.hello["rooms"]]
        await db(
            lambda: Role.objects.filter(user=cast.mediator, kind=Role.Kind.MEDIATOR).delete()
        )()
        await mediator.send({"type": "heartbeat"})
        beat = await mediator.next_of("beat")
        assert "caucus:consumer" not in beat["last_seq"]
        ack = await consumer.say("caucus:consumer", "only for a mediator", "c3")
        assert ack["type"] == "ack", ack
        await mediator.quiet()
        ack = await consumer.say("joint", "for everyone", "c4")
        frame = await mediator.next_of("message")
        assert frame["body"] == "for everyone"
    finally:
        await mediator.close()
        await consumer.close()


@pytest.mark.parametrize("ref", ["%00", "LY-2026-000001%00", "ü" * 3, "A" * 41])
async def test_a_reference_that_is_not_one_is_not_found(case, cast, ref):
    from mediation.tests.conftest import refused

    error, close = await refused(ref, cast.consumer)
    assert (error["code"], close["code"]) == ("not_found", 4404)

"""A change of roles outside any case event reaches a socket that only listens at once.

Taking a role away or deactivating the account (through accounts.services or the admin)
pushes ``user.recheck`` to the user's group once the change commits; each of their
sockets checks access again and closes, or leaves the rooms it may no longer read. The
periodic re-check is pushed out of reach (MEDIATION_ACCESS_RECHECK_SECONDS = 1 hour) and
the client sends no frame, so only the push can cause what these tests see.
"""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from accounts import services
from accounts.models import Role
from accounts.tests import factories as af
from mediation.tests.conftest import communicator, open_socket, session_key

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
db = database_sync_to_async

# Well under MEDIATION_ACCESS_RECHECK_SECONDS' default of 2 s: the push, not a timer.
AT_ONCE = 1.5


@pytest.fixture(autouse=True)
def _no_periodic_recheck(settings):
    settings.MEDIATION_ACCESS_RECHECK_SECONDS = 3600


async def _closed_at_once(socket, code: str = "not_your_case") -> None:
    """Told why, then closed with 4403, without the client sending anything."""
    frame = await socket.next_of("error", "message", timeout=AT_ONCE)
    assert (frame["type"], frame["code"]) == ("error", code), frame
    closing = await socket.comm.receive_output(timeout=AT_ONCE)
    assert closing == {"type": "websocket.close", "code": 4403, "reason": code}


def _role(user, kind: str) -> Role:
    return Role.objects.get(user=user, kind=kind)


def _admin_change(admin, user, edit) -> None:
    """The admin's change of a user's page, made by ``admin``."""
    client = Client()
    af.login(client, admin)
    af.admin_change(client, user, edit)


@pytest.mark.parametrize(
    "who,kind",
    [
        ("merchant_staff", Role.Kind.MERCHANT_STAFF),
        ("mediator", Role.Kind.MEDIATOR),
        ("regulator", Role.Kind.REGULATOR),
    ],
)
async def test_a_role_revoked_through_the_service_closes_the_socket_at_once(case, cast, who, kind):
    user = getattr(cast, who)
    socket = await open_socket(case.reference, user)
    try:
        assert socket.hello is not None
        await db(lambda: services.role_revoke(role=_role(user, kind)))()
        await _closed_at_once(socket)
    finally:
        await socket.close()


async def test_a_user_deactivated_through_the_service_is_closed_at_once(case, cast):
    socket = await open_socket(case.reference, cast.merchant_staff)
    try:
        await db(lambda: services.user_set_active(user=cast.merchant_staff, is_active=False))()
        await _closed_at_once(socket)
    finally:
        await socket.close()


async def test_staff_who_stay_regulators_leave_the_merchant_caucus_at_once(case, cast):
    """Still allowed to view the case (a regulator of the area): the socket stays open
    but leaves the merchant's caucus, so the mediator's next words there never reach it."""
    staff = cast.merchant_staff
    await db(
        lambda: Role.objects.create(user=staff, kind=Role.Kind.REGULATOR, jurisdiction="371300")
    )()
    merchant = await open_socket(case.reference, staff)
    mediator = await open_socket(case.reference, cast.mediator)
    try:
        assert "caucus:merchant" in [r["room"] for r in merchant.hello["rooms"]]
        await db(lambda: services.role_revoke(role=_role(staff, Role.Kind.MERCHANT_STAFF)))()
        ack = await mediator.say("caucus:merchant", "only for the merchant", "m1")
        assert ack["type"] == "ack", ack
        ack = await mediator.say("joint", "for everyone", "m2")
        assert ack["type"] == "ack", ack
        frame = await merchant.next_of("message", "error", timeout=AT_ONCE)
        assert (frame["type"], frame["body"]) == ("message", "for everyone"), frame
    finally:
        await merchant.close()
        await mediator.close()


async def test_a_role_removed_in_the_admin_closes_the_socket_at_once(case, cast):
    socket = await open_socket(case.reference, cast.merchant_staff)

    def delete_the_role(values):
        assert values["roles-TOTAL_FORMS"] == ["1"]
        values["roles-0-DELETE"] = ["on"]

    try:
        await db(_admin_change)(cast.admin, cast.merchant_staff, delete_the_role)
        assert not await db(Role.objects.filter(user=cast.merchant_staff).exists)()
        await _closed_at_once(socket)
    finally:
        await socket.close()


async def test_a_user_deactivated_in_the_admin_is_closed_at_once(case, cast):
    socket = await open_socket(case.reference, cast.merchant_staff)

    def untick_active(values):
        assert values.pop("is_active") == ["on"]

    try:
        await db(_admin_change)(cast.admin, cast.merchant_staff, untick_active)
        await _closed_at_once(socket)
    finally:
        await socket.close()


async def test_changes_to_other_users_leave_the_socket_alone(case, cast):
    """Only the user whose roles changed is told: the merchant's socket hears nothing of
    another merchant's staff losing their role, or of another user's deactivation, and
    closes only when its own role goes."""
    socket = await open_socket(case.reference, cast.merchant_staff)
    consumer = await open_socket(case.reference, cast.consumer)
    try:
        other = cast.other_merchant_staff
        await db(lambda: services.role_revoke(role=_role(other, Role.Kind.MERCHANT_STAFF)))()
        await db(lambda: services.user_set_active(user=cast.other_consumer, is_active=False))()
        await db(_admin_change)(
            cast.admin, cast.other_regulator, lambda values: values.pop("is_active")
        )
        await socket.quiet(types=("error", "message"), timeout=AT_ONCE)
        ack = await consumer.say("joint", "still there?", "c1")
        assert ack["type"] == "ack", ack
        frame = await socket.next_of("message", "error", timeout=AT_ONCE)
        assert (frame["type"], frame["body"]) == ("message", "still there?"), frame
        staff = cast.merchant_staff
        await db(lambda: services.role_revoke(role=_role(staff, Role.Kind.MERCHANT_STAFF)))()
        await _closed_at_once(socket)
    finally:
        await socket.close()
        await consumer.close()


async def test_the_console_of_a_mediator_whose_role_goes_closes_at_once(cast):
    key = await db(session_key)(cast.mediator)
    comm = communicator("/ws/mediation/console/", key)
    connected, _ = await comm.connect()
    assert connected
    try:
        first = await comm.receive_json_from(timeout=3)
        assert first["type"] == "rows", first
        await db(lambda: services.role_revoke(role=_role(cast.mediator, Role.Kind.MEDIATOR)))()
        frame = await comm.receive_json_from(timeout=AT_ONCE)
        assert (frame["type"], frame["code"]) == ("error", "not_a_mediator"), frame
        closing = await comm.receive_output(timeout=AT_ONCE)
        assert closing == {"type": "websocket.close", "code": 4403, "reason": "not_a_mediator"}
    finally:
        await comm.disconnect()

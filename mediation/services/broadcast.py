"""Telling connected sockets what the database now holds.

Delivery is a notification path, never the record: everything sent here was committed
first (callers schedule it with ``transaction.on_commit``), and a send that fails (Redis
down) is logged and dropped: clients catch up by resuming from their last sequence
number, which every heartbeat answer tells them.

Groups: one per room of a case (a socket joins only the rooms its user may read, so a
caucus is never sent to the other side), one per case (presence, standing, proposals,
state), one per user (logout, a change of roles) and one per mediator console.
"""

import contextlib
import logging
import threading
from collections.abc import Iterator

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from cases.rooms import group_slug
from odr.sockets import user_group

logger = logging.getLogger(__name__)


def room_group(case_id: int, room: str) -> str:
    return f"case.{case_id}.{group_slug(room)}"


def case_group(case_id: int) -> str:
    return f"case.{case_id}"


def console_group(user_id: int) -> str:
    return f"console.{user_id}"


_outbox = threading.local()


@contextlib.contextmanager
def collected() -> Iterator[list[tuple[str, dict]]]:
    """Within this block (in this thread) sends are collected, not sent: a consumer runs
    its database work in a thread and then sends them from its own event loop, so the
    thread is not held waiting on the loop. Only after-commit callbacks put anything
    here, so what is collected was committed."""
    previous = getattr(_outbox, "items", None)
    _outbox.items = items = []
    try:
        yield items
    finally:
        _outbox.items = previous


async def flush(items: list[tuple[str, dict]]) -> None:
    """Send what ``collected`` gathered, from the event loop; failures are logged."""
    layer = get_channel_layer()
    for group, event in items:
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.warning("group send to %s failed; clients will catch up on resume", group)


def send(group: str, event: dict) -> bool:
    """Send to a group from synchronous code; False (logged) when the layer is unreachable."""
    items = getattr(_outbox, "items", None)
    if items is not None:
        items.append((group, event))
        return True
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a notification path: the database already holds the truth
        logger.warning("group send to %s failed; clients will catch up on resume", group)
        return False
    return True


def message_posted(*, case_id: int, mediator_id: int | None, payload: dict) -> None:
    """A saved message: to the readers of its room, and a nudge to the mediator's console."""
    send(room_group(case_id, payload["room"]), {"type": "room.message", "message": payload})
    if mediator_id:
        console_refresh(mediator_id=mediator_id, case_id=case_id)


def console_refresh(*, mediator_id: int, case_id: int) -> None:
    send(console_group(mediator_id), {"type": "console.refresh", "case": case_id})


def case_update(*, case_id: int, data: dict, mediator_id: int | None = None) -> None:
    """Something about the case changed (standing, terms, sessions, state): tell every socket."""
    send(case_group(case_id), {"type": "case.update", "data": data})
    if mediator_id:
        console_refresh(mediator_id=mediator_id, case_id=case_id)


def case_recheck(*, case_id: int) -> None:
    """Access may have changed (state, mediator, merchant): every socket checks it again."""
    send(case_group(case_id), {"type": "case.recheck"})


def user_recheck(*, user_id: int) -> None:
    """The user's roles or standing changed outside any case event (a role removed, the
    account deactivated): each of their sockets checks its access again now, instead of
    at its next heartbeat or stale broadcast."""
    send(user_group(user_id), {"type": "user.recheck"})


def user_logged_out(*, user_id: int, session_key: str | None) -> None:
    send(user_group(user_id), {"type": "user.logout", "session": session_key})

"""Telling connected sockets what the database now holds.

Delivery is a notification path, never the record: everything sent here was committed
first (callers schedule it with ``transaction.on_commit``), and a send that fails (Redis
down) is logged and dropped: clients catch up by resuming from their last sequence
number, which every heartbeat answer tells them.

Groups: one per room of a case (a socket joins only the rooms its user may read, so a
caucus is never sent to the other side), one per case (presence, standing, proposals,
state), one per user (logout, a change of roles) and one per mediator console.
"""

import logging

from cases.rooms import group_slug
from odr import outbox
from odr.sockets import user_group

logger = logging.getLogger(__name__)


def room_group(case_id: int, room: str) -> str:
    return f"case.{case_id}.{group_slug(room)}"


def case_group(case_id: int) -> str:
    return f"case.{case_id}"


def console_group(user_id: int) -> str:
    return f"console.{user_id}"


def send(group: str, event: dict) -> bool:
    """Send to a group from synchronous code; False (logged) when the layer is unreachable."""
    return outbox.group_send(group, event)


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

"""The unread badge, live: after a commit that changed someone's in-app notices, their open
inbox sockets (notifications/consumers.py) are told to count again.

A notification path like the others: the database holds the count, a send that fails
(Redis down) is logged and dropped, and the socket counts again on its next heartbeat.
"""

from collections.abc import Iterable

from django.db import transaction

from odr import outbox


def inbox_group(user_id: int) -> str:
    return f"inbox.{user_id}"


def inbox_changed(*, user_ids: Iterable[int]) -> None:
    """Tell these users' inbox sockets, once the current transaction commits (at once when
    there is none)."""
    ids = sorted({int(pk) for pk in user_ids if pk})
    if ids:
        transaction.on_commit(lambda: _send(ids))


def _send(user_ids: list[int]) -> None:
    outbox.group_send_many([(inbox_group(pk), {"type": "inbox.changed"}) for pk in user_ids])

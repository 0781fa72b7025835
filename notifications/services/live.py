"""The unread badge, live: after a commit that changed someone's in-app notices, their open
inbox sockets (notifications/consumers.py) are told to count again.

A notification path like the others: the database holds the count, a send that fails
(Redis down) is logged and dropped, and the socket counts again on its next heartbeat.
"""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def inbox_group(user_id: int) -> str:
    return f"inbox.{user_id}"


def inbox_changed(*, user_ids: Iterable[int]) -> None:
    """Tell these users' inbox sockets, once the current transaction commits (at once when
    there is none)."""
    ids = sorted({int(pk) for pk in user_ids if pk})
    if ids:
        transaction.on_commit(lambda: _send(ids))


def _send(user_ids: list[int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for user_id in user_ids:
            await layer.group_send(inbox_group(user_id), {"type": "inbox.changed"})

    try:
        async_to_sync(send_all)()
    except Exception:  # the count is in the database; the next heartbeat shows it
        logger.warning("could not tell %d inbox socket group(s) of new notices", len(user_ids))

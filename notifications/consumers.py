"""``/ws/inbox/``: the live unread badge of the signed-in user.

The socket sends ``{"type": "unread", "unread": n}`` when it opens, whenever the user's
in-app notices change (``notifications.services.live``), and in answer to each heartbeat,
so a change whose push was lost (Redis restarting) shows within one heartbeat. A visitor
who is not signed in is refused (4401); a socket whose session ended (log-out elsewhere,
or the user deactivated) closes. The page falls back to htmx polling when the socket is
down (notifications/static/notifications/badge.js).
"""

import asyncio

from accounts.models import User
from notifications import selectors
from notifications.services.live import inbox_group
from odr.sessions import session_alive
from odr.sockets import JsonSocket, user_group
from odr.sockets import socket_db as db

CLOSE_LOGIN = 4401


def _count(user_id: int, session_key: str | None) -> int | None:
    """The unread count, or None when the session no longer signs the user in (logged
    out, password changed, account deactivated)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if not session_alive(session_key, user):
        return None
    return selectors.unread_total(user=user)


class InboxConsumer(JsonSocket):
    COALESCE_SECONDS = 0.2
    user_id: int | None = None  # set once the socket is accepted for a signed-in user

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.pending: asyncio.Task | None = None
        self.dirty = False
        user = self.scope.get("user")
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.refuse("login_required")
            return
        self.user_id = user.pk
        for group in (inbox_group(self.user_id), user_group(self.user_id)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.send_count()

    async def refuse(self, reason: str) -> None:
        self.user_id = None  # nothing more is counted or sent on this socket
        await self.send_json({"type": "error", "code": reason})
        await self.close(code=CLOSE_LOGIN, reason=reason)

    async def send_count(self) -> None:
        if self.user_id is None:  # refused: a frame already in flight gets no answer
            return
        count = await db(_count)(self.user_id, self.session_key)
        if count is None:
            await self.refuse("logged_out")
            return
        await self.send_json({"type": "unread", "unread": count})

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "heartbeat":
            await self.send_count()

    async def inbox_changed(self, event: dict) -> None:
        # A burst (a case event telling several notices) is counted once; a change that
        # comes while a count is running is counted again after it.
        self.dirty = True
        if self.pending is None or self.pending.done():
            self.pending = asyncio.ensure_future(self._count_later())

    async def _count_later(self) -> None:
        while self.dirty:
            self.dirty = False
            await asyncio.sleep(self.COALESCE_SECONDS)
            await self.send_count()

    async def user_logout(self, event: dict) -> None:
        if event.get("session") in (None, self.session_key):
            await self.refuse("logged_out")

    async def user_recheck(self, event: dict) -> None:
        await self.send_count()  # closes the socket of a deactivated user

    async def disconnect(self, code: int) -> None:
        if self.pending is not None:
            self.pending.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

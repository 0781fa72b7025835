"""The live case socket (/ws/cases/{ref}/) and the mediator's console socket.

A consumer authenticates from its scope, gets the case through ``access_case`` on connect
and again on every action, joins the groups of the rooms its user may read (so a caucus
never reaches the other side), and hands each action to a service. It runs no business
rule of its own.

Refusals close the socket with a code and a reason (the error's code); the human message
comes first in an ``error`` frame. Codes:

    4401  not signed in, or signed out since (login_required, logged_out)
    4403  not a party, or no longer (not_your_case, not_your_action, not_your_room)
    4404  no such case (not_found)
    4410  the case is closed (case_closed)

Access is checked again at once when the case changes (``case.recheck`` to the case's
group) or the user's roles or standing do (``user.recheck`` to the user's group).

Client frames: send {room, body, client_id}, resume {room, after_seq}, typing {room},
read {room, seq}, heartbeat {}. Server frames: hello, message, ack, resumed, typing, read,
presence, beat, standing, proposal, session, state, error.
"""

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from cases import rooms
from cases.models import Case, case_roles
from cases.selectors import Action, access_case
from mediation import selectors
from mediation.services import broadcast, chat, presence
from odr import outbox as sends
from odr.errors import DomainError, NotAllowed, NotFound
from odr.sessions import session_alive
from odr.sockets import JsonSocket, db_executor

logger = logging.getLogger(__name__)

CLOSE_LOGIN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_GONE = 4410
# Refusals of access itself close the socket; other refusals answer with an error frame.
_CLOSING = {"not_your_case", "not_your_action", "not_your_room", "logged_out"}
TYPING_EVERY_SECONDS = 2.0
# The columns of the case a socket action reads besides those of the access check
# (cases.selectors.ACCESS_FIELDS); another is loaded when read, at a query's cost
# (mediation/tests/test_query_budget.py counts them).
SOCKET_CASE_FIELDS = ("language",)


def db(func):
    """Run ORM code off the event loop, in a pool of threads of its own.

    Channels' default would run every socket's database work of the process in one
    thread, each message queued behind all the others'. The thread's connection goes back
    (to the pool, when there is one) after each call. Group sends made by after-commit
    callbacks are collected in the thread and sent here, from the event loop.
    """

    def run(*args, **kwargs):
        with sends.collected() as outbox:
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                exc.odr_outbox = list(outbox)  # type: ignore[attr-defined]
                raise
            finally:
                connections.close_all()
            return result, list(outbox)

    async def call(*args, **kwargs):
        try:
            result, outbox = await database_sync_to_async(
                run, thread_sensitive=False, executor=db_executor()
            )(*args, **kwargs)
        except BaseException as exc:
            await sends.flush(getattr(exc, "odr_outbox", []))
            raise
        await sends.flush(outbox)
        return result

    return call


class CaseClosed(DomainError):
    status = 410
    code = "case_closed"


def _close_code(exc: DomainError) -> int | None:
    if isinstance(exc, CaseClosed):
        return CLOSE_GONE
    if isinstance(exc, NotFound):
        return CLOSE_NOT_FOUND
    if exc.code == "logged_out":
        return CLOSE_LOGIN
    if isinstance(exc, NotAllowed) and exc.code in _CLOSING:
        return CLOSE_FORBIDDEN
    return None


def _fresh_user(user_id: int):
    """The user as the database has them now (roles not cached, deactivation seen)."""
    try:
        return User.objects.get(pk=user_id, is_active=True)
    except User.DoesNotExist:
        return None


def _session_alive(session_key: str | None, user_id: int) -> bool:
    """The socket's session still signs its user in (not logged out, password unchanged)."""
    return session_alive(session_key, _fresh_user(user_id))


def _primary_role(roles: set[str]) -> str:
    for role in ("mediator", "consumer", "merchant", "regulator", "arbitration", "admin"):
        if role in roles:
            return role
    return ""


class CaseConsumer(JsonSocket):
    case_id: int | None = None
    mediator_id: int | None = None
    role: str = ""

    async def connect(self) -> None:
        self.ref = self.scope["url_route"]["kwargs"]["ref"]
        self.groups_joined: list[str] = []
        # The rooms this socket may read, as of the last access check (every action,
        # heartbeat and recheck, and before passing on a broadcast once it is stale).
        self.readable: set[str] = set()
        self.checked_at = 0.0
        self.last_typing = 0.0
        user = self.scope.get("user")
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        # Accept first: a refusal then reaches the client as a close code and reason
        # (a handshake refused before accepting is only an HTTP 403).
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_LOGIN, "login_required", _("Please sign in first."))
            return
        self.user_id = user.pk
        self.language = getattr(user, "language", "") or settings.LANGUAGE_CODE
        translation.activate(self.language)
        try:
            case_id, mediator_id, readable, role = await db(self._open)()
        except DomainError as exc:
            await self.refuse(_close_code(exc) or CLOSE_FORBIDDEN, exc.code, exc.message)
            return
        self.case_id, self.mediator_id, self.role = case_id, mediator_id, role
        self.readable = set(readable)
        self.checked_at = asyncio.get_running_loop().time()
        groups = [broadcast.room_group(case_id, r) for r in readable]
        groups += [broadcast.case_group(case_id), broadcast.user_group(self.user_id)]
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        # After joining: anything committed from here on arrives live, anything before is
        # in the database and reached by resume.
        hello = await db(self._hello)()
        await self.send_json(hello)

    async def refuse(self, code: int, reason: str, message: str) -> None:
        await self.send_json({"type": "error", "code": reason, "message": str(message)})
        await self.close(code=code, reason=reason)

    # --- access, on connect and on every action ------------------------------------------

    def _access(self) -> tuple[Case, object, set[str]]:
        if len(self.ref) > 40 or not self.ref.isascii() or not self.ref.isprintable():
            # Not a reference (a NUL byte would make PostgreSQL refuse the look-up).
            raise NotFound(_("There is no such case."), code="not_found")
        user = _fresh_user(self.user_id)
        # What a socket action reads of the case: a few of its own columns.
        case = access_case(
            user=user, ref=self.ref, action=Action.VIEW, related=(), only=SOCKET_CASE_FIELDS
        )
        if case.is_terminal:
            raise CaseClosed(_("This case is closed."))
        return case, user, case_roles(case, user)

    def _open(self) -> tuple[int, int | None, list[str], str]:
        translation.activate(self.language)
        case, _user, roles = self._access()
        requested = self._requested_room()
        if requested is not None:
            chat.check_room_access(roles=roles, room=requested, write=False)
        return case.pk, case.mediator_id, rooms.rooms_readable(roles), _primary_role(roles)

    def _requested_room(self) -> str | None:
        query = self.scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            key, _sep, value = part.partition("=")
            if key == "room" and value:
                from urllib.parse import unquote

                return unquote(value)
        return None

    def _hello(self) -> dict:
        translation.activate(self.language)
        case, user, roles = self._access()
        from mediation.services.presence import heartbeat_seconds, presence_join

        presence_join(
            case_id=case.pk,
            mediator_id=case.mediator_id,
            user=user,
            role=self.role,
            channel_name=self.channel_name,
        )
        state = selectors.room_state(case=case, user=user, roles=roles)
        return {"type": "hello", "heartbeat_seconds": heartbeat_seconds(), **state}

    async def act(self, func):
        """Run ``func(case, user, roles)`` after checking access again; a refusal of access
        closes the socket, any other refusal is answered with an error frame."""

        def run():
            with translation.override(self.language):
                case, user, roles = self._access()
                return func(case, user, roles), set(rooms.rooms_readable(roles))

        try:
            result, readable = await db(run)()
        except DomainError as exc:
            code = _close_code(exc)
            if code is not None:
                await self.refuse(code, exc.code, exc.message)
            raise
        await self._keep_to(readable)
        return result

    async def _keep_to(self, readable: set[str]) -> None:
        """Leave the groups of rooms no longer readable (a mediator replaced, a role taken
        away), join those newly readable; broadcasts are also filtered by ``readable``."""
        self.checked_at = asyncio.get_running_loop().time()
        if readable == self.readable or self.case_id is None:
            return
        for room in self.readable - readable:
            group = broadcast.room_group(self.case_id, room)
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)
            if group in self.groups_joined:
                self.groups_joined.remove(group)
        for room in readable - self.readable:
            group = broadcast.room_group(self.case_id, room)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        self.readable = readable

    async def _may_pass_on(self, room) -> bool:
        """Whether a broadcast of ``room`` may go to this socket: access is checked again
        first when the last check is older than MEDIATION_ACCESS_RECHECK_SECONDS, so a
        client that only listens loses a room it may no longer read."""
        if self.case_id is None:
            return False
        stale = asyncio.get_running_loop().time() - self.checked_at
        if stale >= settings.MEDIATION_ACCESS_RECHECK_SECONDS:
            try:
                await self.act(lambda case, user, roles: None)
            except DomainError:
                return False  # act() closed the socket
        return room in self.readable

    # --- client frames -------------------------------------------------------------------

    async def receive_json(self, content, **kwargs) -> None:
        if self.case_id is None:
            return
        translation.activate(self.language)
        kind = content.get("type") if isinstance(content, dict) else None
        handler = {
            "send": self.on_send,
            "resume": self.on_resume,
            "typing": self.on_typing,
            "read": self.on_read,
            "heartbeat": self.on_heartbeat,
        }.get(kind)
        if handler is None:
            await self.send_json(
                {"type": "error", "code": "unknown_type", "message": _("Unknown frame type.")}
            )
            return
        try:
            await handler(content)
        except DomainError as exc:
            await self._answer_refusal(exc, kind, content)
        except Exception:
            # Not saved (a database error): say so; the client keeps the text and its id.
            logger.exception("socket action %s on %s failed", kind, self.ref)
            frame = {
                "type": "error",
                "code": "not_saved",
                "message": _("That did not go through. Please try again."),
            }
            if kind == "send":
                frame["client_id"] = content.get("client_id", "")
                frame["room"] = content.get("room")
            await self.send_json(frame)

    async def _answer_refusal(self, exc: DomainError, kind, content: dict) -> None:
        if _close_code(exc) is not None:
            return  # act() has closed the socket
        frame = {"type": "error", "code": exc.code, "message": exc.message}
        if kind == "send":
            frame["client_id"] = content.get("client_id", "")
            frame["room"] = content.get("room")
        if getattr(exc, "retry_after", None):
            frame["retry_after"] = exc.retry_after
        await self.send_json(frame)

    async def on_send(self, content: dict) -> None:
        room = content.get("room")
        client_id = content.get("client_id", "")
        sent = await self.act(
            lambda case, user, roles: chat.message_send(
                case=case,
                actor=user,
                room=room,
                body=content.get("body"),
                client_id=client_id,
            )
        )
        await self.send_json(
            {
                "type": "ack",
                "room": room,
                "seq": sent.message.seq,
                "client_id": sent.message.client_id,
                "duplicate": not sent.created,
            }
        )

    async def on_resume(self, content: dict) -> None:
        room = content.get("room")
        after = content.get("after_seq", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise DomainError(_("after_seq is a whole number."), code="invalid_seq")
        after = min(after, 2**31 - 1)

        def page(case, user, roles):
            chat.check_room_access(roles=roles, room=room, write=False)
            return selectors.messages_after(case=case, room=room, after_seq=after)

        while True:
            messages = await self.act(page)
            for message in messages:
                await self.send_json({"type": "message", **message})
            if messages:
                after = messages[-1]["seq"]
            if len(messages) < selectors.RESUME_PAGE:
                break
        await self.send_json({"type": "resumed", "room": room, "last_seq": after})

    async def on_typing(self, content: dict) -> None:
        room = content.get("room")
        loop = asyncio.get_running_loop()
        if loop.time() - self.last_typing < TYPING_EVERY_SECONDS:
            return
        self.last_typing = loop.time()

        def check(case, user, roles):
            chat.check_room_access(roles=roles, room=room, write=True)
            return rooms.writer_role(roles, room)

        role = await self.act(check)
        await self.channel_layer.group_send(
            broadcast.room_group(self.case_id, room),
            {
                "type": "room.typing",
                "typing": {"room": room, "role": role, "user": self.user_id},
                "sender": self.channel_name,
            },
        )

    async def on_read(self, content: dict) -> None:
        room, seq = content.get("room"), content.get("seq")
        await self.act(
            lambda case, user, roles: chat.read_mark(case=case, actor=user, room=room, seq=seq)
        )

    async def on_heartbeat(self, content: dict) -> None:
        """Keep presence alive, check the session, and tell the client each room's last
        number, so a client that missed a broadcast (Redis restarting) resumes."""

        def beat(case, user, roles):
            if not _session_alive(self.session_key, self.user_id):
                raise NotAllowed(_("You have signed out."), code="logged_out")
            online = presence.presence_beat(
                case_id=case.pk,
                mediator_id=case.mediator_id,
                user=user,
                role=self.role,
                channel_name=self.channel_name,
            )
            readable = rooms.rooms_readable(roles)
            last = selectors.room_last_seqs(case_id=case.pk, room_names=readable)
            return online, last, case.state

        online, last, state = await self.act(beat)
        # The state too: a client that missed a state broadcast (Redis restarting) catches up.
        await self.send_json({"type": "beat", "online": online, "last_seq": last, "state": state})

    # --- group events --------------------------------------------------------------------

    async def room_message(self, event: dict) -> None:
        if await self._may_pass_on(event["message"].get("room")):
            message = selectors.payload_for_reader(event["message"], self.language)
            await self.send_json({"type": "message", **message})

    async def room_typing(self, event: dict) -> None:
        if (
            event.get("sender") != self.channel_name
            and event["typing"].get("room") in self.readable
        ):
            await self.send_json({"type": "typing", **event["typing"]})

    async def room_read(self, event: dict) -> None:
        if event["read"].get("room") in self.readable:
            await self.send_json({"type": "read", **event["read"]})

    async def case_update(self, event: dict) -> None:
        await self.send_json(event["data"])

    async def case_presence(self, event: dict) -> None:
        await self.send_json({"type": "presence", "online": event["online"]})

    async def case_recheck(self, event: dict) -> None:
        await self._recheck()

    async def user_recheck(self, event: dict) -> None:
        """The user's roles changed or the account was deactivated (accounts.services and
        the admin push this after the commit): a socket that only listens would otherwise
        keep its rooms until its next heartbeat or stale broadcast."""
        await self._recheck()

    async def _recheck(self) -> None:
        if self.case_id is None:
            return
        with contextlib.suppress(DomainError):  # act() closed the socket if access is gone
            await self.act(lambda case, user, roles: None)

    async def user_logout(self, event: dict) -> None:
        if event.get("session") in (None, self.session_key):
            await self.refuse(CLOSE_LOGIN, "logged_out", _("You have signed out."))

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer may be down; its membership dies with it
                logger.info("group_discard %s failed", group)
        self.groups_joined = []
        if self.case_id is not None:
            case_id, mediator_id, channel = self.case_id, self.mediator_id, self.channel_name
            self.case_id = None
            await db(
                lambda: presence.presence_leave(
                    case_id=case_id, mediator_id=mediator_id, channel_name=channel
                )
            )()


class ConsoleConsumer(JsonSocket):
    """The mediator's console: the rows of their cases, sent again whenever one changes."""

    REFRESH_DELAY = 0.3

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.pending: asyncio.Task | None = None
        user = self.scope.get("user")
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_LOGIN, "login_required", _("Please sign in first."))
            return
        self.user_id = user.pk
        if not await db(self._is_mediator)():
            await self.refuse(CLOSE_FORBIDDEN, "not_a_mediator", _("The console is for mediators."))
            return
        for group in (broadcast.console_group(self.user_id), broadcast.user_group(self.user_id)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.send_rows()

    async def refuse(self, code: int, reason: str, message: str) -> None:
        await self.send_json({"type": "error", "code": reason, "message": str(message)})
        await self.close(code=code, reason=reason)

    def _is_mediator(self) -> bool:
        user = _fresh_user(self.user_id)
        return bool(user and user.roles.filter(kind=Role.Kind.MEDIATOR).exists())

    def _rows(self) -> list[dict] | None:
        if not self._is_mediator():
            return None
        user = _fresh_user(self.user_id)
        return [row.as_dict() for row in selectors.console_cases(mediator=user)]

    async def send_rows(self) -> None:
        rows = await db(self._rows)()
        if rows is None:
            await self.refuse(CLOSE_FORBIDDEN, "not_a_mediator", _("The console is for mediators."))
            return
        await self.send_json({"type": "rows", "rows": rows})

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "heartbeat":
            alive = await db(lambda: _session_alive(self.session_key, self.user_id))()
            if not alive:
                await self.refuse(CLOSE_LOGIN, "logged_out", _("You have signed out."))
                return
            await self.send_rows()

    async def console_refresh(self, event: dict) -> None:
        # Coalesce bursts (a busy room) into one recomputation.
        if self.pending is None or self.pending.done():
            self.pending = asyncio.ensure_future(self._refresh_later())

    async def _refresh_later(self) -> None:
        await asyncio.sleep(self.REFRESH_DELAY)
        await self.send_rows()

    async def user_logout(self, event: dict) -> None:
        if event.get("session") in (None, self.session_key):
            await self.refuse(CLOSE_LOGIN, "logged_out", _("You have signed out."))

    async def user_recheck(self, event: dict) -> None:
        """Roles changed: a console whose user is no longer an active mediator closes now."""
        if not await db(self._is_mediator)():
            await self.refuse(CLOSE_FORBIDDEN, "not_a_mediator", _("The console is for mediators."))

    async def disconnect(self, code: int) -> None:
        if self.pending is not None:
            self.pending.cancel()
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.info("group_discard %s failed", group)

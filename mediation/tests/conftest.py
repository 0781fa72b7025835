"""Fixtures for live mediation: a case in mediation with its cast, signed-in sockets."""

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from cases.models import Case, State
from cases.tests import factories as f

BACKEND = "django.contrib.auth.backends.ModelBackend"
ORIGIN = b"http://127.0.0.1"


@pytest.fixture(autouse=True)
def _own_rate_counts(monkeypatch):
    """The rate limit counts per user id in the cache, and test databases reuse ids (rows
    rolled back, parallel workers and runs sharing one Redis): each test counts apart."""
    from mediation.services import chat

    prefix = uuid.uuid4().hex[:12]
    key = chat._rate_key
    monkeypatch.setattr(chat, "_rate_key", lambda user_id: f"{prefix}:{key(user_id)}")


@pytest.fixture
def cast():
    return f.cast()


@pytest.fixture
def case(cast) -> Case:
    """A case the regulator accepted: in mediation, with the cast's mediator."""
    case = f.case_in(State.MEDIATION, cast)
    assert case.mediator_id == cast.mediator.pk
    return case


def log_out(user, key: str) -> None:
    """Log this session out as the log-out view does (the signal, then the flush)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth.signals import user_logged_out
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/logout/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    user_logged_out.send(sender=type(user), request=request, user=user)
    request.session.flush()


def session_key(user) -> str:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client.cookies["sessionid"].value


def application():
    from odr.asgi import application

    return application


def communicator(path: str, key: str | None = None, origin: bytes = ORIGIN):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if key:
        headers.append((b"cookie", f"sessionid={key}".encode()))
    return WebsocketCommunicator(application(), path, headers=headers)


class Socket:
    """A signed-in socket on a case, with helpers to read frames by type."""

    def __init__(self, comm: WebsocketCommunicator):
        self.comm = comm
        self.hello: dict | None = None

    async def send(self, frame: dict) -> None:
        await self.comm.send_json_to(frame)

    async def next(self, timeout: float = 3) -> dict:
        return await self.comm.receive_json_from(timeout=timeout)

    async def next_of(self, *types: str, timeout: float = 3) -> dict:
        """The next frame of one of these types, skipping others (presence, read...)."""
        while True:
            frame = await self.next(timeout=timeout)
            if frame["type"] in types:
                return frame

    async def quiet(self, types: tuple[str, ...] = ("message",), timeout: float = 0.3) -> None:
        """Assert no frame of these types arrives (others are drained)."""
        while True:
            if await self.comm.receive_nothing(timeout=timeout):
                return
            frame = await self.next()
            assert frame["type"] not in types, frame

    async def say(self, room: str, body: str, client_id: str = "") -> dict:
        await self.send({"type": "send", "room": room, "body": body, "client_id": client_id})
        return await self.next_of("ack", "error")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.comm.disconnect()


async def closed(comm: WebsocketCommunicator) -> tuple[int, str]:
    """The (code, reason) the server closes with, skipping the frames before it."""
    while True:
        out = await comm.receive_output(timeout=3)
        if out["type"] == "websocket.close":
            return out["code"], out.get("reason", "")


async def open_socket(case_ref: str, user, query: str = "") -> Socket:
    key = await database_sync_to_async(session_key)(user)
    comm = communicator(f"/ws/cases/{case_ref}/{query}", key)
    connected, _ = await comm.connect()
    assert connected
    sock = Socket(comm)
    first = await sock.next()
    if first["type"] == "hello":
        sock.hello = first
    else:
        sock.refusal = first
    return sock


async def refused(case_ref: str, user, query: str = "") -> tuple[dict, dict]:
    """The error frame and the close of a refused socket."""
    if user is None:
        comm = communicator(f"/ws/cases/{case_ref}/{query}")
    else:
        key = await database_sync_to_async(session_key)(user)
        comm = communicator(f"/ws/cases/{case_ref}/{query}", key)
    connected, _ = await comm.connect()
    assert connected  # accepted, then closed with a code: the client learns why
    error = await comm.receive_json_from(timeout=3)
    close = await comm.receive_output(timeout=3)
    # The client's side of the close: the consumer ends at once (waiting for it to end
    # by itself took the full second of ``wait()``'s timeout).
    await comm.disconnect(code=close.get("code", 1000))
    return error, close


@pytest_asyncio.fixture
async def sockets(case, cast) -> AsyncIterator[dict]:
    """The consumer, the merchant's staff and the mediator, each with a socket on the case."""
    opened = {}
    try:
        for who in ("consumer", "merchant_staff", "mediator"):
            opened[who] = await open_socket(case.reference, getattr(cast, who))
            assert opened[who].hello is not None, getattr(opened[who], "refusal", None)
        yield opened
    finally:
        for sock in opened.values():
            await sock.close()

"""Real servers: two daphne processes on 127.0.0.1 sharing a Redis of this test's own
(never the shared one), and that Redis stopped and started again mid-conversation.

The socket client is aiohttp's (installed with twilio); the servers run against the test
database like the browser journeys' ``live_daphne``.
"""

import asyncio
import contextlib
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from cases.models import Message
from mediation.tests.conftest import session_key
from tests.browser.conftest import (
    _database_url,
    _free_port,
    _server_env,
    _stop,
    _wait_until_healthy,
)

aiohttp = pytest.importorskip("aiohttp")

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

REDIS_SERVER = shutil.which("redis-server")
FRAME_TIMEOUT = 10.0


# --- a Redis of our own --------------------------------------------------------------------


class OwnRedis:
    """redis-server on a free 127.0.0.1 port, no persistence; stop() and start() again on
    the same port (a restart, as an operator or a crash would do)."""

    def __init__(self, directory: Path):
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    redis = OwnRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


@pytest.fixture
def two_servers(transactional_db, own_redis, tmp_path):
    """Two daphne processes, the same database, the same Redis and channel prefix."""
    prefix = f"odr-live-{uuid.uuid4().hex[:8]}"
    servers = []
    try:
        for n in range(2):
            base = tmp_path / f"server{n}"
            (base / "sms").mkdir(parents=True)
            (base / "static").mkdir()
            env = _server_env(
                database_url=_database_url(connection.settings_dict),
                sms_dir=base / "sms",
                static_root=base / "static",
            )
            # The test's key: the sessions made here are signed with it.
            env.update(
                REDIS_URL=own_redis.url,
                CHANNEL_LAYER_PREFIX=prefix,
                SECRET_KEY=settings.SECRET_KEY,
            )
            port = _free_port()
            log = base / "daphne.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "daphne"),
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "odr.asgi:application",
                    ],
                    cwd=settings.BASE_DIR,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
            servers.append(server)
            problem = _wait_until_healthy(process, server.url, log)
            assert problem is None, problem
        yield servers
    finally:
        for server in servers:
            _stop(server.process)
            print(f"--- {server.log} ---")
            print(server.log.read_text(errors="replace")[-4000:])


# --- a socket client -----------------------------------------------------------------------


@dataclass
class Client:
    """A participant's socket: collects every message frame; seqs per room, no duplicates."""

    name: str
    server: Server
    key: str
    ref: str
    session: "aiohttp.ClientSession | None" = None
    ws: object = None
    frames: asyncio.Queue = field(default_factory=asyncio.Queue)
    messages: dict = field(default_factory=dict)  # room -> {seq: body}
    reader: asyncio.Task | None = None

    async def connect(self) -> dict:
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(
            self.server.url.replace("http", "ws") + f"/ws/cases/{self.ref}/",
            headers={"Cookie": f"sessionid={self.key}", "Origin": self.server.url},
        )
        self.reader = asyncio.ensure_future(self._read())
        return await self.next_of("hello")

    async def _read(self) -> None:
        async for raw in self.ws:
            if raw.type != aiohttp.WSMsgType.TEXT:
                break
            frame = raw.json()
            if frame["type"] == "message":
                self.messages.setdefault(frame["room"], {})[frame["seq"]] = frame["body"]
            await self.frames.put(frame)
        await self.frames.put({"type": "closed"})

    async def next_of(self, *types: str, timeout: float = FRAME_TIMEOUT) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                frame = await asyncio.wait_for(self.frames.get(), timeout=max(0.01, left))
            except TimeoutError:
                raise AssertionError(f"{self.name}: no {types} within {timeout} s") from None
            if frame["type"] in types:
                return frame

    async def say(self, room: str, body: str) -> dict:
        await self.ws.send_json(
            {"type": "send", "room": room, "body": body, "client_id": uuid.uuid4().hex}
        )
        return await self.next_of("ack", "error")

    async def resume(self, room: str) -> None:
        """Ask for everything after the last number held without a gap (as room.js does)."""
        held = self.messages.get(room, {})
        after = 0
        while after + 1 in held:
            after += 1
        await self.ws.send_json({"type": "resume", "room": room, "after_seq": after})
        await self.next_of("resumed")

    async def wait_for_seq(self, room: str, seq: int, timeout: float = FRAME_TIMEOUT) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while seq not in self.messages.get(room, {}):
            assert asyncio.get_running_loop().time() < deadline, (self.name, room, seq)
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader
        if self.session is not None:
            await self.session.close()


async def participants(case, cast, servers) -> dict[str, Client]:
    keys = {
        who: await database_sync_to_async(session_key)(getattr(cast, who))
        for who in ("consumer", "merchant_staff", "mediator")
    }
    placement = {"consumer": servers[0], "merchant_staff": servers[1], "mediator": servers[0]}
    clients = {who: Client(who, placement[who], keys[who], case.reference) for who in keys}
    for client in clients.values():
        await client.connect()
    return clients


def saved(case, room: str) -> dict[int, str]:
    return dict(Message.objects.filter(case=case, room=room).values_list("seq", "body"))


@pytest.mark.asyncio
async def test_a_message_crosses_from_one_server_to_the_other(case, cast, two_servers):
    clients = await participants(case, cast, two_servers)
    try:
        ack = await clients["consumer"].say("joint", "经服务器一发出")
        assert ack["type"] == "ack"
        await clients["merchant_staff"].wait_for_seq("joint", ack["seq"])
        assert clients["merchant_staff"].messages["joint"][ack["seq"]] == "经服务器一发出"
        back = await clients["merchant_staff"].say("joint", "经服务器二回复")
        await clients["consumer"].wait_for_seq("joint", back["seq"])
        await clients["mediator"].wait_for_seq("joint", back["seq"])
        # The caucus crosses servers only to its own side.
        private = await clients["merchant_staff"].say("caucus:merchant", "仅调解员可见")
        await clients["mediator"].wait_for_seq("caucus:merchant", private["seq"])
        await asyncio.sleep(0.3)
        assert "caucus:merchant" not in clients["consumer"].messages
    finally:
        for client in clients.values():
            await client.close()


@pytest.mark.asyncio
async def test_redis_restart_mid_conversation_loses_nothing(case, cast, two_servers, own_redis):
    clients = await participants(case, cast, two_servers)
    consumer, merchant, mediator = (
        clients["consumer"],
        clients["merchant_staff"],
        clients["mediator"],
    )
    try:
        before = await consumer.say("joint", "重启前")
        await merchant.wait_for_seq("joint", before["seq"])

        await asyncio.get_running_loop().run_in_executor(None, own_redis.stop)
        # Saved while Redis is down: the database takes it; live delivery cannot happen.
        during = await consumer.say("joint", "Redis 停机时")
        assert during["type"] == "ack", during
        await asyncio.get_running_loop().run_in_executor(None, own_redis.start)

        # The conversation continues, live, across both servers.
        deadline = asyncio.get_running_loop().time() + 30
        after = None
        while after is None:
            reply = await merchant.say("joint", f"重启后 {uuid.uuid4().hex[:6]}")
            assert reply["type"] == "ack", reply
            try:
                await consumer.wait_for_seq("joint", reply["seq"], timeout=2)
                after = reply
            except AssertionError:
                assert asyncio.get_running_loop().time() < deadline, (
                    "no live delivery after restart"
                )
        more = await mediator.say("joint", "调解继续")
        await merchant.wait_for_seq("joint", more["seq"])

        # Every saved message reaches every participant once they resume.
        expected = await database_sync_to_async(saved)(case, "joint")
        for client in clients.values():
            await client.resume("joint")
            assert client.messages["joint"] == {
                seq: body for seq, body in expected.items() if seq in client.messages["joint"]
            }
            assert set(client.messages["joint"]) >= set(expected), client.name
    finally:
        for client in clients.values():
            await client.close()

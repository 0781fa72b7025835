"""Live mediation chat: end-to-end latency and delivery through /ws/cases/{ref}/, against
a bare Channels consumer and a raw Redis PUBLISH round trip, on the same server, in the
same run.

Rooms of three (consumer, merchant staff, mediator), each participant sending one message
a second. Latency is measured from send to delivery at every other participant of the
room (p50, p99), and delivered / expected must be 1.0. Baselines, same load: a bare
consumer that only group-sends (no database, no checks; this module's
``BareGroupConsumer``, routed only with ODR_BENCH_ENDPOINTS), and Redis PUBLISH to a
subscriber. Then saturation: every socket sends its next message as soon as the last is
acknowledged; saved messages a second through the one server process. The bare consumer
is driven to saturation the same way (each socket sends again when its own frame comes
back through the group): the messages a second the process relays with no database at
all, the ceiling of any chat on that server.

When the server saves fewer messages a second than the rooms offer, messages queue up:
after the senders stop, the script waits for the backlog (until every measured message
has reached the other two, or nothing has arrived for 3 s, or ``--drain-seconds``), so
late deliveries count with their latency; what had not arrived by then is reported as
not delivered, with the offered and the saved rates beside it.

    .venv/bin/python bench/chat.py [--rooms 200] [--seconds 20] [--warmup 3]
                                   [--saturation-seconds 10] [--drain-seconds 90]
                                   [--idle-seconds 240] [--check]

Everything is on 127.0.0.1 and bounded in time: a fresh PostgreSQL database
(odr_bench_<pid>), a redis-server of its own on a free port (never the shared one), one
daphne process. The bar (from the issue), at 600 connections (200 rooms): every message
delivered, p99 at most 50 ms, p50 at most 3 times the bare consumer's, and at least 1,000
saved messages a second at saturation. uvicorn (in the dev lock) is measured too. The last
line printed is one JSON object of the figures.

The server runs the production settings but for one value: the per-user limit of 10
messages in 10 seconds is lifted (a temporary settings module), since saturation sends
faster than that by design; the limit's cache round trips still run for every message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from channels.generic.websocket import AsyncWebsocketConsumer

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class BareGroupConsumer(AsyncWebsocketConsumer):
    """The baseline: join a group, forward every frame to it. No database, no checks."""

    async def connect(self) -> None:
        self.group = "bare." + self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        await self.channel_layer.group_send(self.group, {"type": "bare.frame", "text": text_data})

    async def bare_frame(self, event: dict) -> None:
        await self.send(text_data=event["text"])

    async def disconnect(self, code) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)


BAR_P99_MS = 50.0
BAR_P50_RATIO = 3.0
BAR_SAVED_PER_S = 1000.0
CONNECT_CONCURRENCY = 10

SETTINGS_MODULE = """
from odr.settings.base import *  # noqa: F403

# bench/chat.py: saturation sends faster than a person may; everything else as in production.
MEDIATION_RATE_MESSAGES = 1_000_000
"""

# Runs in a child with django.setup(): N cases in mediation, three signed-in people each.
SEED = r"""
import datetime as dt, json, sys
from importlib import import_module

import django

django.setup()

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.utils import timezone

from accounts.models import MediationOrganisation, Merchant, Role, User
from accounts.validators import uscc_check_character
from cases.models import Case

rooms = int(sys.argv[1])
Store = import_module(settings.SESSION_ENGINE).SessionStore
now = timezone.now()
out = []
with transaction.atomic():
    org = MediationOrganisation.objects.create(name="基准调解中心", division_code="371300")
    for n in range(rooms):
        first17 = f"91371300MB{n:07d}"
        merchant = Merchant.objects.create(
            name=f"基准商户{n}", uscc=first17 + uscc_check_character(first17),
            division_code="371302",
        )
        people = {}
        for role, kind, extra in (
            ("consumer", Role.Kind.CONSUMER, {}),
            ("merchant", Role.Kind.MERCHANT_STAFF, {"merchant": merchant}),
            ("mediator", Role.Kind.MEDIATOR, {"mediation_organisation": org}),
        ):
            user = User.objects.create(username=f"bench-{role}-{n}", display_name=f"{role}{n}")
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Role.objects.create(user=user, kind=kind, **extra)
            people[role] = user
        case = Case.objects.create(
            reference=f"LY-2099-{n + 1:06d}", state="mediation", ruleset="samr-order-121",
            submitted_at=now, consumer=people["consumer"], complainant_name="基准",
            complainant_phone="+8613800000001", complainant_address="临沂",
            merchant=merchant, merchant_name=merchant.name, division_code="371302",
            category="goods.food", knew_of_harm_on=now.date() - dt.timedelta(days=3),
            facts="基准", request="基准", mediator=people["mediator"],
            mediation_organisation=org,
        )
        keys = {}
        for role, user in people.items():
            store = Store()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            keys[role] = {"key": store.session_key, "user": user.pk}
        out.append({"ref": case.reference, "people": keys})
print("BENCH_SEED " + json.dumps(out))
"""


# --- the load generator (a process of its own) ----------------------------------------------


def _pct(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


class Phase:
    """Latency and delivery of one steady phase."""

    def __init__(self) -> None:
        self.sent: dict[str, tuple[float, int]] = {}  # id -> (t, room)
        self.measured: set[str] = set()
        self.latencies: list[float] = []
        self.delivered: dict[str, int] = {}
        self.errors = 0
        self.acks = 0
        self.measuring = False
        self.any_deliveries = 0  # of warm-up and measured messages: progress while draining
        self.drain_s = 0.0

    def on_delivery(self, msg_id: str, receiver_room: int) -> None:
        sent = self.sent.get(msg_id)
        if sent is None:
            return
        t, _room = sent
        self.any_deliveries += 1
        if msg_id in self.measured:
            self.latencies.append((time.perf_counter() - t) * 1000)
            self.delivered[msg_id] = self.delivered.get(msg_id, 0) + 1

    def summary(self, *, others: int) -> dict:
        expected = len(self.measured) * others
        delivered = sum(self.delivered.values())
        return {
            "messages": len(self.measured),
            "sent_with_warmup": len(self.sent),
            "drain_s": round(self.drain_s, 1),
            "expected": expected,
            "delivered": delivered,
            "delivered_ratio": round(delivered / expected, 6) if expected else 0.0,
            "p50_ms": round(_pct(self.latencies, 50), 2),
            "p99_ms": round(_pct(self.latencies, 99), 2),
            "max_ms": round(max(self.latencies), 2) if self.latencies else 0.0,
            "errors": self.errors,
        }


async def _wait_idle(open_ws, limit: float) -> float:
    """Seconds until the server echoes a bare frame within 20 ms three times running
    (or ``limit``)."""
    import aiohttp

    ws = await open_ws("/bench/ws/bare/idle-probe/", None)
    start = time.perf_counter()
    fast = 0
    try:
        while fast < 3 and time.perf_counter() - start < limit:
            sent = time.perf_counter()
            await ws.send_str(json.dumps({"id": "probe", "from": -1, "body": ""}))
            try:
                raw = await ws.receive(timeout=max(1.0, limit - (sent - start)))
            except TimeoutError:
                break
            if raw.type != aiohttp.WSMsgType.TEXT:
                break
            fast = fast + 1 if time.perf_counter() - sent < 0.02 else 0
            await asyncio.sleep(0.5)
    finally:
        await ws.close()
    return round(time.perf_counter() - start, 1)


async def _load(config: dict) -> dict:
    import aiohttp

    port, rooms = config["port"], config["rooms"]
    base = f"ws://127.0.0.1:{port}"
    origin = f"http://127.0.0.1:{port}"
    seconds, warmup = config["seconds"], config["warmup"]
    # Client ids are unique per run and server: a repeated id would be a deduplicated retry.
    tag = config["tag"]
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=None)
    )
    result: dict = {}
    semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_ws(path: str, key: str | None):
        headers = {"Origin": origin}
        if key:
            headers["Cookie"] = f"sessionid={key}"
        async with semaphore:
            for attempt in range(5):
                try:
                    return await session.ws_connect(base + path, headers=headers, max_msg_size=0)
                except (aiohttp.ClientError, OSError):
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))

    # --- the mediation sockets ---------------------------------------------------------
    people = [(i, role, p) for i, room in enumerate(rooms) for role, p in room["people"].items()]
    t0 = time.perf_counter()
    sockets = await asyncio.gather(
        *(open_ws(f"/ws/cases/{rooms[i]['ref']}/", p["key"]) for i, _role, p in people)
    )
    hellos = await asyncio.gather(*(ws.receive_json(timeout=30) for ws in sockets))
    bad = [h for h in hellos if h.get("type") != "hello"]
    if bad:
        raise RuntimeError(f"{len(bad)} sockets refused: {bad[:3]}")
    result["connect_s"] = round(time.perf_counter() - t0, 2)
    result["offered_per_s"] = len(sockets)  # each participant sends one message a second

    phase_holder: dict[str, Phase] = {}
    acked: dict[int, asyncio.Event] = {}
    ack_count = {"n": 0}

    async def reader(index: int, ws) -> None:
        room_index = people[index][0]
        me = people[index][2]["user"]
        async for raw in ws:
            if raw.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(raw.data)
            kind = frame.get("type")
            phase = phase_holder.get("p")
            if kind == "message" and phase is not None and frame.get("author") != me:
                phase.on_delivery(frame.get("client_id", ""), room_index)
            elif kind == "ack":
                ack_count["n"] += 1
                if phase is not None:
                    phase.acks += 1
                event = acked.get(index)
                if event is not None:
                    event.set()
            elif kind == "error" and phase is not None:
                phase.errors += 1
                event = acked.get(index)
                if event is not None:
                    event.set()

    readers = [asyncio.ensure_future(reader(i, ws)) for i, ws in enumerate(sockets)]

    async def steady(phase: Phase, send, count: int, label: str) -> None:
        """Each sender once a second, spread over the second; warm-up, then measured."""
        start = time.perf_counter() + 0.2
        end_warm = start + warmup
        end = end_warm + seconds

        async def sender(index: int) -> None:
            offset = random.random()
            k = 0
            while True:
                at = start + offset + k
                if at >= end:
                    return
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                msg_id = f"{tag}{label}-{index}-{k}"
                now = time.perf_counter()
                phase.sent[msg_id] = (now, index)
                if now >= end_warm:
                    phase.measured.add(msg_id)
                await send(index, msg_id)
                k += 1

        await asyncio.gather(*(sender(i) for i in range(count)))
        # The last deliveries: until all arrived, or nothing at all (warm-up messages
        # included) arrived for 3 s, or the drain limit. A server slower than the offered
        # rate works through a backlog after the senders stop; its late deliveries count,
        # with their latency, rather than reading as lost.
        drain_start = time.perf_counter()
        drain_end = drain_start + config["drain_seconds"]
        last, still = -1, drain_start
        while time.perf_counter() < drain_end:
            if sum(phase.delivered.values()) >= 2 * len(phase.measured):
                break
            if phase.any_deliveries != last:
                last, still = phase.any_deliveries, time.perf_counter()
            elif time.perf_counter() - still > 3:
                break
            await asyncio.sleep(0.1)
        phase.drain_s = time.perf_counter() - drain_start

    async def send_chat(index: int, msg_id: str) -> None:
        await sockets[index].send_str(
            json.dumps(
                {"type": "send", "room": "joint", "body": "基准消息 " + msg_id, "client_id": msg_id}
            )
        )

    mediation = Phase()
    phase_holder["p"] = mediation
    await steady(mediation, send_chat, len(sockets), "m")
    result["mediation"] = mediation.summary(others=2)
    result["mediation"]["acks"] = mediation.acks

    # --- saturation: each socket sends again as soon as the last is acknowledged ---------
    sat = Phase()
    phase_holder["p"] = sat
    stop_at = time.perf_counter() + config["saturation_seconds"]
    counts = {"acks": 0}

    async def closed_loop(index: int) -> None:
        k = 0
        event = acked.setdefault(index, asyncio.Event())
        while time.perf_counter() < stop_at:
            event.clear()
            msg_id = f"{tag}s-{index}-{k}"
            sat.sent[msg_id] = (time.perf_counter(), index)
            sat.measured.add(msg_id)
            await send_chat(index, msg_id)
            try:
                await asyncio.wait_for(event.wait(), timeout=10)
            except TimeoutError:
                sat.errors += 1
            k += 1

    before = ack_count["n"]
    t_sat = time.perf_counter()
    await asyncio.gather(*(closed_loop(i) for i in range(len(sockets))))
    elapsed = time.perf_counter() - t_sat
    counts["acks"] = ack_count["n"] - before
    acked.clear()
    await asyncio.sleep(2.0)
    result["saturation"] = {
        **sat.summary(others=2),
        "acks": counts["acks"],
        "seconds": round(elapsed, 2),
        "saved_per_s": round(counts["acks"] / elapsed, 1),
    }

    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()

    # A server slower than the offered rate may still be working on what the closed
    # sockets sent. The baselines are measured on an idle server: wait until a bare echo
    # comes back within 20 ms three times running (bounded).
    result["idle_wait_s"] = await _wait_idle(open_ws, config["idle_seconds"])

    # --- the bare consumer, same rooms and rate ------------------------------------------
    bare_sockets = await asyncio.gather(
        *(open_ws(f"/bench/ws/bare/{i}/", None) for i, _role, _p in people)
    )
    bare = Phase()
    bare_acked: dict[int, asyncio.Event] = {}
    bare_echoes = {"n": 0}

    async def bare_reader(index: int, ws) -> None:
        async for raw in ws:
            if raw.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(raw.data)
            if frame["from"] != index:
                bare.on_delivery(frame["id"], people[index][0])
            else:  # the group includes the sender: its own frame back is its ack
                bare_echoes["n"] += 1
                event = bare_acked.get(index)
                if event is not None:
                    event.set()

    bare_readers = [asyncio.ensure_future(bare_reader(i, ws)) for i, ws in enumerate(bare_sockets)]

    async def send_bare(index: int, msg_id: str) -> None:
        await bare_sockets[index].send_str(
            json.dumps({"id": msg_id, "from": index, "body": "基准消息 " + msg_id})
        )

    await steady(bare, send_bare, len(bare_sockets), "b")
    result["bare"] = bare.summary(others=2)

    # The ceiling of the process with no database: the bare consumer at saturation, each
    # socket sending again as soon as its own frame comes back through the group.
    stop_at = time.perf_counter() + config["saturation_seconds"]
    bare_errors = {"n": 0}

    async def bare_closed_loop(index: int) -> None:
        event = bare_acked.setdefault(index, asyncio.Event())
        k = 0
        while time.perf_counter() < stop_at:
            event.clear()
            await send_bare(index, f"{tag}bs-{index}-{k}")
            try:
                await asyncio.wait_for(event.wait(), timeout=10)
            except TimeoutError:
                bare_errors["n"] += 1
            k += 1

    before = bare_echoes["n"]
    t_sat = time.perf_counter()
    await asyncio.gather(*(bare_closed_loop(i) for i in range(len(bare_sockets))))
    elapsed = time.perf_counter() - t_sat
    relayed = bare_echoes["n"] - before
    result["bare_saturation"] = {
        "relayed": relayed,
        "seconds": round(elapsed, 2),
        "relayed_per_s": round(relayed / elapsed, 1),
        "errors": bare_errors["n"],
    }
    for ws in bare_sockets:
        await ws.close()
    for task in bare_readers:
        task.cancel()
    await session.close()

    # --- raw Redis PUBLISH -> subscriber, same number of channels and rate ---------------
    import redis.asyncio as aioredis

    # redis-py 8 caps a pool at 100 connections by default: one per concurrent sender here.
    client = aioredis.from_url(
        config["redis_url"], max_connections=len(people) + 10, socket_timeout=10
    )
    listener = aioredis.from_url(config["redis_url"], max_connections=10, socket_timeout=None)
    pubsub = listener.pubsub()
    channels = [f"bench.raw.{i}" for i in range(len(rooms))]
    await pubsub.subscribe(*channels)
    raw = Phase()

    async def listen() -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                data = json.loads(message["data"])
                # Each subscriber stands for the two other participants of the room.
                raw.on_delivery(data["id"], 0)
                raw.on_delivery(data["id"], 0)

    listener_task = asyncio.ensure_future(listen())

    async def send_raw(index: int, msg_id: str) -> None:
        await client.publish(
            channels[people[index][0]], json.dumps({"id": msg_id, "body": "基准消息"})
        )

    await steady(raw, send_raw, len(people), "r")
    listener_task.cancel()
    with contextlib.suppress(BaseException):
        await listener_task
    result["redis"] = raw.summary(others=2)
    await pubsub.aclose()
    await client.aclose()
    await listener.aclose()
    return result


# --- orchestration ---------------------------------------------------------------------------


class OwnRedis:
    def __init__(self) -> None:
        from bench.common import free_port

        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="odr-bench-redis-")
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> OwnRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            from bench.common import BenchError

            raise BenchError("redis-server is not installed (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def _uvicorn_server_class():
    """daphne's harness, starting uvicorn instead (same app, host, port and stop)."""
    from bench.common import HOST, PYTHON, DaphneServer, _die_with_parent, log

    class UvicornServer(DaphneServer):
        name = "uvicorn"

        def __enter__(self) -> UvicornServer:
            self._log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--no-access-log",
                    "--ws",
                    "websockets",
                    self.app,
                ],
                cwd=Path(__file__).resolve().parent.parent,
                env=self.env,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
            log(f"uvicorn pid {self.proc.pid} on http://{HOST}:{self.port}/")
            return self

    return UvicornServer


def _uvicorn_available() -> bool:
    try:
        import uvicorn  # noqa: F401
        import websockets  # noqa: F401
    except ImportError:
        return False
    return True


def _bar(figures: dict) -> tuple[dict, float | None, float | None]:
    med, bare, sat = figures["mediation"], figures["bare"], figures["saturation"]
    measured = med["delivered"] > 0 and bare["p50_ms"] > 0
    ratio = round(med["p50_ms"] / bare["p50_ms"], 2) if measured else None
    p99_ratio = round(med["p99_ms"] / bare["p99_ms"], 2) if measured and bare["p99_ms"] else None
    bar = {
        "delivered_all": med["delivered_ratio"] == 1.0 and med["errors"] == 0,
        "p99_le_50ms": med["delivered"] > 0 and med["p99_ms"] <= BAR_P99_MS,
        "p50_le_3x_bare": ratio is not None and ratio <= BAR_P50_RATIO,
        "saved_ge_1000_per_s": sat["saved_per_s"] >= BAR_SAVED_PER_S,
    }
    return bar, ratio, p99_ratio


def _print_server(name: str, figures: dict) -> None:
    sat = figures["saturation"]
    for label, f in (
        ("mediation", figures["mediation"]),
        ("bare consumer", figures["bare"]),
        ("redis publish", figures["redis"]),
    ):
        print(
            f"{name:>8} {label:>14}: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, "
            f"max {f['max_ms']:.1f} ms, delivered {f['delivered']}/{f['expected']} "
            f"({f['delivered_ratio']}), errors {f['errors']}, drained in {f['drain_s']} s"
        )
    print(
        f"{name:>8}           idle: the baselines began {figures['idle_wait_s']} s after the "
        "mediation sockets closed, once the server echoed within 20 ms three times running"
    )
    print(
        f"{name:>8}     saturation: {sat['saved_per_s']} saved messages/s "
        f"({sat['acks']} in {sat['seconds']} s, errors {sat['errors']})"
    )
    bare_sat = figures["bare_saturation"]
    print(
        f"{name:>8} bare saturation: {bare_sat['relayed_per_s']} messages/s relayed with no "
        f"database ({bare_sat['relayed']} in {bare_sat['seconds']} s, errors {bare_sat['errors']})"
    )
    if bare_sat["relayed_per_s"] < BAR_SAVED_PER_S:
        print(
            f"{name:>8}        ceiling: the bare consumer relays {bare_sat['relayed_per_s']} "
            f"a second at most here, below the bar's {BAR_SAVED_PER_S:,.0f} saved a second, "
            "which the mediation consumer would reach only doing more work per message"
        )
    med = figures["mediation"]
    offered = figures["offered_per_s"]
    if med["delivered_ratio"] < 1.0 and sat["saved_per_s"] < offered:
        print(
            f"{name:>8}       overload: {offered} messages/s offered, {sat['saved_per_s']} saved "
            f"a second at most; {med['sent_with_warmup']} sent queue up, and what had not "
            f"been delivered {med['drain_s']} s after the senders stopped is not counted"
        )


def _figures(figures: dict) -> dict:
    """One server's figures, named with their units, and its ratios to the baselines."""
    med, bare, raw, sat = (
        figures["mediation"],
        figures["bare"],
        figures["redis"],
        figures["saturation"],
    )
    bar, ratio, p99_ratio = _bar(figures)
    return {
        "mediation_p50_ms": med["p50_ms"],
        "mediation_p99_ms": med["p99_ms"],
        "mediation_max_ms": med["max_ms"],
        "mediation_delivered_ratio": med["delivered_ratio"],
        "mediation_messages": med["messages"],
        "mediation_sent_with_warmup": med["sent_with_warmup"],
        "mediation_drain_s": med["drain_s"],
        "offered_msgs_per_s": figures["offered_per_s"],
        "mediation_errors": med["errors"],
        "bare_p50_ms": bare["p50_ms"],
        "bare_p99_ms": bare["p99_ms"],
        "bare_delivered_ratio": bare["delivered_ratio"],
        "redis_p50_ms": raw["p50_ms"],
        "redis_p99_ms": raw["p99_ms"],
        "redis_delivered_ratio": raw["delivered_ratio"],
        "ratio": ratio,
        "p99_ratio_to_bare": p99_ratio,
        "p50_ratio_to_redis": (
            round(med["p50_ms"] / raw["p50_ms"], 2) if raw["p50_ms"] and med["p50_ms"] else None
        ),
        "saturation_saved_per_s": sat["saved_per_s"],
        "saturation_p50_ms": sat["p50_ms"],
        "saturation_p99_ms": sat["p99_ms"],
        "saturation_errors": sat["errors"],
        "bare_saturation_relayed_per_s": figures["bare_saturation"]["relayed_per_s"],
        "saved_to_bare_saturation_ratio": (
            round(sat["saved_per_s"] / figures["bare_saturation"]["relayed_per_s"], 3)
            if figures["bare_saturation"]["relayed_per_s"]
            else None
        ),
        "connect_s": figures["connect_s"],
        "idle_wait_s": figures["idle_wait_s"],
        "bar": bar,
        "bar_met": all(bar.values()),
    }


def _run_server(name, env, rooms, args, tmp: Path, root: Path, redis_url: str) -> dict:
    """One server under the whole load (rooms, saturation, bare consumer, raw Redis)."""
    from bench.common import PYTHON, BenchError, DaphneServer, log, marked_json

    server_class = DaphneServer if name == "daphne" else _uvicorn_server_class()
    with server_class(env=env) as server:
        server.wait_healthy()
        config = {
            "tag": name[0],
            "port": server.port,
            "rooms": rooms,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "saturation_seconds": args.saturation_seconds,
            "drain_seconds": args.drain_seconds,
            "idle_seconds": args.idle_seconds,
            "redis_url": redis_url,
        }
        config_path = tmp / f"load-{name}.json"
        config_path.write_text(json.dumps(config))
        log(f"{name} load: {3 * len(rooms)} sockets, {len(rooms)} rooms")
        budget = (
            3 * (args.warmup + args.seconds + 4 + args.drain_seconds)
            + 2 * args.saturation_seconds
            + args.idle_seconds
            + 180
        )
        try:
            done = subprocess.run(
                [PYTHON, str(Path(__file__).resolve()), "--load", str(config_path)],
                cwd=root,
                env={**os.environ, "PYTHONPATH": str(root)},
                capture_output=True,
                text=True,
                timeout=budget,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"the {name} load took longer than {budget:.0f} s") from exc
        if done.returncode != 0:
            raise BenchError(f"the {name} load failed:\n{done.stderr[-3000:]}")
        return marked_json(done.stdout, "BENCH_LOAD")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--saturation-seconds", type=float, default=10.0)
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=90.0,
        help="after the senders stop, how long to wait for the backlog (default 90)",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=240.0,
        help="before the baselines, how long to wait for the server to finish the backlog "
        "of the closed mediation sockets (default 240)",
    )
    parser.add_argument(
        "--servers", default="daphne,uvicorn", help="daphne, uvicorn or both (comma-separated)"
    )
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:  # the load generator's own process
        config = json.loads(Path(args.load).read_text())
        print("BENCH_LOAD " + json.dumps(asyncio.run(_load(config))), flush=True)
        return 0
    if not (
        1 <= args.rooms <= 400 and 1 <= args.seconds <= 120 and 1 <= args.saturation_seconds <= 60
    ):
        parser.error("bounded: rooms 1-400, seconds 1-120, saturation 1-60")
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    if not servers or set(servers) - {"daphne", "uvicorn"} or servers[0] != "daphne":
        parser.error("--servers: daphne first (the bar is on daphne), then optionally uvicorn")

    from bench.common import (
        BenchDatabase,
        BenchError,
        log,
        marked_json,
        run_python,
        server_env,
        stop_on_sigterm,
    )

    stop_on_sigterm()
    uvicorn_note = ""
    if "uvicorn" in servers and not _uvicorn_available():
        servers.remove("uvicorn")
        uvicorn_note = "not installed (pip install uvicorn websockets): daphne only"
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="odr-bench-chat-"))
    (tmp / "bench_chat_settings.py").write_text(SETTINGS_MODULE)
    root = Path(__file__).resolve().parent.parent
    results: dict[str, dict] = {}
    try:
        with BenchDatabase() as database, OwnRedis() as redis:
            env = server_env(
                database_url=database.url,
                redis_url=redis.url,
                conn_max_age=0,
                DJANGO_SETTINGS_MODULE="bench_chat_settings",
                PYTHONPATH=f"{tmp}{os.pathsep}{root}",
                ALLOWED_HOSTS="127.0.0.1,localhost",
            )
            log("migrating")
            run_python(["manage.py", "migrate", "--noinput"], env=env, timeout=300, what="migrate")
            log(f"seeding {args.rooms} rooms")
            seeded = run_python(["-c", SEED, str(args.rooms)], env=env, timeout=300, what="seed")
            rooms = marked_json(seeded.stdout, "BENCH_SEED")
            for name in servers:
                try:
                    results[name] = _run_server(name, env, rooms, args, tmp, root, redis.url)
                except BenchError as exc:
                    if name == "daphne":
                        raise
                    # The bar is daphne's: a failed second server is reported, not fatal.
                    log(f"{name} failed: {exc}")
                    uvicorn_note = f"failed: {str(exc).splitlines()[0][:200]}"
            saved = run_python(
                [
                    "-c",
                    "import django; django.setup(); from cases.models import Message; "
                    "print('BENCH_SAVED', Message.objects.filter(author__isnull=False).count())",
                ],
                env=env,
                timeout=60,
                what="count",
            )
            saved_rows = int(saved.stdout.split("BENCH_SAVED", 1)[1].split()[0])
    except BenchError as exc:
        log(str(exc))
        return 2
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    for name, figures in results.items():
        _print_server(name, figures)
    daphne = _figures(results["daphne"])
    summary = {
        "server": "daphne",
        "connections": 3 * len(rooms),
        "rooms": len(rooms),
        "send_rate_per_participant_per_s": 1,
        "measured_s": args.seconds,
        **daphne,
        "baseline": {
            "bare_consumer_p50_ms": daphne["bare_p50_ms"],
            "bare_consumer_p99_ms": daphne["bare_p99_ms"],
            "redis_publish_p50_ms": daphne["redis_p50_ms"],
            "redis_publish_p99_ms": daphne["redis_p99_ms"],
        },
        "uvicorn": _figures(results["uvicorn"]) if "uvicorn" in results else uvicorn_note,
        "saved_rows_both_servers": saved_rows,
        "rate_limit": "lifted for the run (settings module), checks still run",
        "cpus": os.cpu_count(),
        "load_avg_1m_before": round(load_before, 2),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
    }
    # bar_met last but one, the figures' verdict on daphne (production's server).
    summary["bar_met"] = summary.pop("bar_met")
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 1 if args.check and not summary["bar_met"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

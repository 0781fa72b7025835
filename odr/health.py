"""Health of the parts the service depends on: database, channel layer, Celery broker.

Each check returns ``(ok, detail)`` within a bounded time, so ``/healthz`` answers quickly
even when a dependency hangs.
"""

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

CHECK_TIMEOUT_SECONDS = 3.0


def check_database(conn=None) -> tuple[bool, str]:
    conn = conn or connection
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return False, type(exc).__name__
    return True, conn.vendor


async def _layer_roundtrip() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a wrong message")
    return type(layer).__name__


def check_channel_layer() -> tuple[bool, str]:
    async def bounded() -> str:
        return await asyncio.wait_for(_layer_roundtrip(), CHECK_TIMEOUT_SECONDS)

    try:
        return True, async_to_sync(bounded)()
    except Exception as exc:
        return False, type(exc).__name__


def check_broker() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "eager"
    from odr.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
            conn.default_channel  # noqa: B018 - opens the channel, proving the broker answers
    except Exception as exc:
        return False, type(exc).__name__
    return True, "redis"


CHECKS = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


def health_report() -> tuple[bool, dict[str, dict[str, str]]]:
    report = {}
    for name, check in CHECKS.items():
        ok, detail = check()
        report[name] = {"status": "up" if ok else "down", "detail": detail}
    return all(c["status"] == "up" for c in report.values()), report

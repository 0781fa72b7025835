"""What every WebSocket consumer of the service shares: a pool of threads for their
database work, and frames that are not JSON text (binary, empty, malformed) handed on as
``None`` instead of failing the socket."""

from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import connections

_executor: ThreadPoolExecutor | None = None


def user_group(user_id: int) -> str:
    """The group every socket of a user joins: log-out and access changes are sent to it."""
    return f"user.{user_id}"


def db_executor() -> ThreadPoolExecutor:
    """The sockets' own threads (MEDIATION_DB_THREADS per process). Channels' default runs
    database work in the one thread that also serves every synchronous HTTP view of the
    process, so each socket's work would queue behind the others' and behind the pages."""
    global _executor
    if _executor is None:
        threads = settings.MEDIATION_DB_THREADS
        _executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="socket-db")
    return _executor


def socket_db(func):
    """``await socket_db(func)(...)``: ``func`` in the sockets' threads; the thread's
    connection goes back (to the pool, when there is one) after each call."""

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    return database_sync_to_async(run, thread_sensitive=False, executor=db_executor())


class JsonSocket(AsyncJsonWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # Channels raises (closing with 1011) on a binary or empty frame; a client's
        # mistake is answered, or ignored, by receive_json(None) instead.
        content = await self.decode_json(text_data) if text_data else None
        await self.receive_json(content, **kwargs)

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

"""Group sends from synchronous code: under ASGI a request's sends leave from the event
loop after the view (no round trip to the loop per send); elsewhere they go at once."""

import asyncio
import contextlib
import contextvars
import functools
import logging
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import AsyncClient, RequestFactory
from django.urls import reverse

from cases.models import State
from cases.tests import factories as f
from mediation.tests.conftest import communicator, session_key
from notifications.tests.test_inbox_socket import _offer
from odr import outbox

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def journal(settings, monkeypatch):
    """What happened, in order: the view's own steps and each send, with its thread."""
    settings.CHANNEL_LAYERS = IN_MEMORY
    layer = get_channel_layer()
    entries: list[tuple] = []

    async def recorded(group, event):
        if group == "broken":
            raise ConnectionError("redis went away")
        entries.append(("sent", group, event["n"], threading.current_thread()))

    monkeypatch.setattr(layer, "group_send", recorded)
    return entries


def _view(journal):
    def view(request):
        journal.append(("view", "start", 0, threading.current_thread()))
        assert outbox.group_send("case.1", {"type": "x", "n": 1})
        outbox.group_send_many(
            [("broken", {"type": "x", "n": 2}), ("case.1", {"type": "x", "n": 3})]
        )
        journal.append(("view", "end", 0, threading.current_thread()))
        return "response"

    return view


@pytest.mark.asyncio
async def test_under_asgi_the_sends_leave_from_the_loop_after_the_view(journal, caplog):
    view = _view(journal)

    async def get_response(request):
        return await sync_to_async(view)(request)

    middleware = outbox.OutboxMiddleware(get_response)
    with caplog.at_level(logging.WARNING, logger="odr.outbox"):
        response = await middleware(RequestFactory().get("/"))

    assert response == "response"
    loop_thread = threading.current_thread()
    assert [(kind, what, n) for kind, what, n, _t in journal] == [
        ("view", "start", 0),
        ("view", "end", 0),
        ("sent", "case.1", 1),
        ("sent", "case.1", 3),  # the one that failed is logged, the rest still go
    ]
    view_thread = journal[0][3]
    assert view_thread is not loop_thread
    assert all(t is loop_thread for kind, *_rest, t in journal if kind == "sent")
    assert "group send to broken failed" in caplog.text


def test_under_wsgi_the_middleware_steps_aside_and_sends_go_at_once(journal, caplog):
    view = _view(journal)
    assert outbox.OutboxMiddleware(view) is view
    with caplog.at_level(logging.WARNING, logger="odr.outbox"):
        assert view(RequestFactory().get("/")) == "response"
    # Sent before the view went on; the failing pair is reported whole.
    assert [(kind, what, n) for kind, what, n, _t in journal] == [
        ("view", "start", 0),
        ("sent", "case.1", 1),
        ("view", "end", 0),
    ]
    assert "group send to broken, case.1 failed" in caplog.text


@pytest.mark.asyncio
async def test_a_socket_thread_collects_and_its_loop_flushes(journal):
    def database_work():
        with outbox.collected() as items:
            assert outbox.group_send("case.1", {"type": "x", "n": 1})
            assert outbox.group_send("case.1", {"type": "x", "n": 2})
        assert journal == []  # nothing sent from the thread
        return items

    items = await asyncio.to_thread(database_work)
    await outbox.flush(items)
    assert [(group, n) for _kind, group, n, _t in journal] == [("case.1", 1), ("case.1", 2)]
    assert all(t is threading.current_thread() for *_rest, t in journal)


@pytest.mark.asyncio
async def test_a_view_still_running_after_its_request_ended_sends_at_once(journal):
    """The client left and the request was cancelled, but the view's thread goes on: what
    it commits later is not collected for a flush that has already happened."""
    contexts = []

    async def get_response(request):
        contexts.append(contextvars.copy_context())  # as the view's thread has it
        return "response"

    assert await outbox.OutboxMiddleware(get_response)(RequestFactory().get("/")) == "response"
    late = functools.partial(outbox.group_send, "case.1", {"type": "x", "n": 7})
    assert await asyncio.to_thread(contexts[0].run, late)
    assert [(group, n) for _kind, group, n, _t in journal] == [("case.1", 7)]


@pytest.mark.asyncio
async def test_a_request_cancelled_while_flushing_still_sends(settings, monkeypatch):
    settings.CHANNEL_LAYERS = IN_MEMORY
    layer = get_channel_layer()
    flushing, gate, sent = asyncio.Event(), asyncio.Event(), []

    async def slow(group, event):
        flushing.set()
        await gate.wait()
        sent.append(event["n"])

    monkeypatch.setattr(layer, "group_send", slow)

    def view(request):
        outbox.group_send_many(
            [("case.1", {"type": "x", "n": 1}), ("case.1", {"type": "x", "n": 2})]
        )
        return "response"

    async def get_response(request):
        return await sync_to_async(view)(request)

    request = asyncio.create_task(outbox.OutboxMiddleware(get_response)(RequestFactory().get("/")))
    await asyncio.wait_for(flushing.wait(), timeout=5)  # the view is done; the flush began
    request.cancel()  # the client went away
    with contextlib.suppress(asyncio.CancelledError):
        await request
    gate.set()
    for _ in range(200):
        if len(sent) == 2:
            break
        await asyncio.sleep(0.01)
    assert sent == [1, 2]


def test_without_a_layer_a_send_reports_false(settings):
    settings.CHANNEL_LAYERS = {}
    assert outbox.group_send("case.1", {"type": "x"}) is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_read_mark_over_asgi_reaches_the_readers_other_tab(monkeypatch):
    """The whole path: a POST through Django's ASGI handler and its middleware, the
    after-commit send in the view's thread, the flush on the loop, the push on another
    socket of the user. A send made from the thread itself would fail here."""

    def no_waiting_on_the_loop(func):
        raise AssertionError("a request's send waited on the loop from the view's thread")

    monkeypatch.setattr(outbox, "async_to_sync", no_waiting_on_the_loop)
    cast = await database_sync_to_async(f.cast)()
    case = await database_sync_to_async(f.case_in)(State.NEGOTIATION, cast)
    notice = await database_sync_to_async(_offer)(case, cast.merchant_staff, "merchant")
    key = await database_sync_to_async(session_key)(cast.consumer)
    tab = communicator("/ws/inbox/", key)
    assert (await tab.connect())[0]
    count = (await tab.receive_json_from(timeout=3))["unread"]

    client = AsyncClient(headers={"host": "127.0.0.1"})
    client.cookies["sessionid"] = key
    url = reverse("notifications:mark_read", args=[notice.pk])
    response = await client.post(url)
    assert response.status_code == 302, response.status_code
    assert await tab.receive_json_from(timeout=3) == {"type": "unread", "unread": count - 1}
    await tab.disconnect()

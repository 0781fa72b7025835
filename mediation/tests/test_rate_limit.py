"""The chat's rate limit (more than 10 messages in 10 seconds from one user is refused):
counted atomically, only for messages that are saved, on Redis and on the local memory
cache of the embedded mode."""

import socket
import threading
import uuid

import pytest
from django.db import IntegrityError
from django.test import override_settings

from cases.models import Message
from mediation.services import chat, tools
from odr.errors import Conflict, RateLimited

LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _redis_caches(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "odr.cache.SharedRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-rate-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }


@pytest.fixture(params=["local", "redis"])
def limit_cache(request):
    """Each test once on the local memory cache, once on Redis."""
    if request.param == "local":
        caches = LOCAL
    else:
        caches = _redis_caches(request.getfixturevalue("redis_url"))
    with override_settings(CACHES=caches):
        yield request.param


def _user_id() -> int:
    return 10_000_000 + uuid.uuid4().int % 1_000_000


def test_the_limit_holds_when_one_user_sends_from_many_threads_at_once(limit_cache):
    """Thirty sends at the same moment (sockets of one user in several tabs): ten pass."""
    user_id = _user_id()
    start = threading.Barrier(30)
    taken, refused = [], []

    def send() -> None:
        start.wait()
        try:
            taken.append(chat.rate_take(user_id=user_id))
        except RateLimited as exc:
            refused.append(exc)

    threads = [threading.Thread(target=send) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(taken) == 10 and all(taken) and len(set(taken)) == 10
    assert len(refused) == 20
    assert all(exc.code == "too_fast" and exc.retry_after >= 1 for exc in refused)


def test_a_message_given_back_is_not_counted(limit_cache):
    user_id = _user_id()
    taken = [chat.rate_take(user_id=user_id) for _ in range(10)]
    with pytest.raises(RateLimited):
        chat.rate_take(user_id=user_id)
    chat.rate_give_back(user_id=user_id, taken=taken[3])
    assert chat.rate_take(user_id=user_id)
    with pytest.raises(RateLimited):
        chat.rate_take(user_id=user_id)


def test_checking_counts_nothing(limit_cache):
    user_id = _user_id()
    for _ in range(20):
        chat.rate_check(user_id=user_id)
    for _ in range(10):
        chat.rate_take(user_id=user_id)
    with pytest.raises(RateLimited) as refused:
        chat.rate_check(user_id=user_id)
    assert refused.value.code == "too_fast"


def test_users_are_counted_apart(limit_cache):
    first, second = _user_id(), _user_id() + 1
    for _ in range(10):
        chat.rate_take(user_id=first)
    assert chat.rate_take(user_id=second)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_redis_unreachable_lets_messages_through_rather_than_lose_them():
    with override_settings(CACHES=_redis_caches(f"redis://127.0.0.1:{_closed_port()}/0")):
        user_id = _user_id()
        for _ in range(12):
            assert chat.rate_take(user_id=user_id) is None
        chat.rate_check(user_id=user_id)
        chat.rate_give_back(user_id=user_id, taken=None)
        chat.rate_give_back(user_id=user_id, taken="whatever")


# --- Through message_send, on the database --------------------------------------------


@pytest.mark.django_db
def test_refused_messages_do_not_count(case, cast):
    """A party in caucus is refused in the joint room; those refusals cost nothing."""
    tools.party_to_caucus(case=case, actor=cast.actor("mediator"), party="consumer")
    for n in range(12):
        with pytest.raises(Conflict) as refused:
            chat.message_send(
                case=case, actor=cast.consumer, room="joint", body=f"在吗{n}", client_id=f"j{n}"
            )
        assert refused.value.code == "in_caucus"
    for n in range(10):
        sent = chat.message_send(
            case=case, actor=cast.consumer, room="caucus:consumer", body=f"私{n}", client_id=f"c{n}"
        )
        assert sent.created
    with pytest.raises(RateLimited):
        chat.message_send(case=case, actor=cast.consumer, room="caucus:consumer", body="多")


@pytest.mark.django_db
def test_a_message_the_database_refused_is_not_counted(case, cast, monkeypatch):
    create = Message.objects.create
    calls = {"n": 0}

    def refuse_first(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise IntegrityError("refused once")
        return create(**kwargs)

    monkeypatch.setattr(Message.objects, "create", refuse_first)
    with pytest.raises(IntegrityError):
        chat.message_send(
            case=case, actor=cast.consumer, room="joint", body="第一条", client_id="x"
        )
    assert not Message.objects.filter(case=case, client_id="x").exists()
    for n in range(10):
        assert chat.message_send(
            case=case, actor=cast.consumer, room="joint", body=f"第{n}条", client_id=f"y{n}"
        ).created
    with pytest.raises(RateLimited):
        chat.message_send(case=case, actor=cast.consumer, room="joint", body="第十一条")
    assert Message.objects.filter(case=case, author=cast.consumer).count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_saved_message_stays_counted_when_its_broadcast_fails(case, cast, monkeypatch):
    """After the commit the message is saved: an after-commit failure does not uncount it."""
    from mediation.services import broadcast

    posted = broadcast.message_posted

    def fail(**kwargs):
        raise RuntimeError("broadcast failed")

    monkeypatch.setattr(broadcast, "message_posted", fail)
    with pytest.raises(RuntimeError):
        chat.message_send(
            case=case, actor=cast.consumer, room="joint", body="第一条", client_id="a"
        )
    assert Message.objects.filter(case=case, client_id="a").exists()
    monkeypatch.setattr(broadcast, "message_posted", posted)  # not undo(): the rate key
    for n in range(9):
        chat.message_send(
            case=case, actor=cast.consumer, room="joint", body=f"{n}", client_id=f"b{n}"
        )
    with pytest.raises(RateLimited):
        chat.message_send(case=case, actor=cast.consumer, room="joint", body="多")

"""A session cookie that is not a session key is no session: never a 5xx."""

import pytest

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "cookie",
    ["abc\x00def", "\x00" * 32, "a" * 31 + "\x00", "ünïcödé" * 5, "a" * 10_000, "../../etc"],
)
@pytest.mark.parametrize("path", ["/api/v1/cases/", "/cases/", "/", "/api/v1/me/"])
def test_a_malformed_session_cookie_is_no_session(client, cookie, path):
    client.cookies["sessionid"] = cookie
    response = client.get(path)
    assert response.status_code < 500
    assert response.status_code in (200, 302, 401, 403)


def test_a_real_session_still_works(client):
    user = User.objects.create_user(username="+8613900000009", phone="+8613900000009")
    Role.objects.create(user=user, kind=Role.Kind.CONSUMER)
    client.force_login(user)
    key = client.cookies["sessionid"].value
    assert len(key) == 32 and key.isalnum()
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["id"] == user.pk


@pytest.mark.parametrize(
    "key", ["abcdefgh\x00ijklmnop", "\x00" * 32, "ünïcödéünïcödé", "a" * 40 + "'"]
)
def test_the_session_store_treats_a_malformed_key_as_no_session(key):
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None

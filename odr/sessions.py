"""Database sessions that refuse malformed keys before they reach the database.

Django's keys are 32 lowercase letters and digits. A cookie carrying anything else (a
NUL byte makes PostgreSQL refuse the query outright: a 500 on every URL, WebSockets
included) is treated as no session at all, as an unknown key would be.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(super()._validate_session_key(key) and key.isascii() and key.isalnum())


def session_alive(session_key: str | None, user) -> bool:
    """Whether this session still signs ``user`` in, as Django's ``get_user`` decides for
    a request: the same user id, and the session's hash of the user's password still the
    current one (a password change, or a log-out elsewhere, ends it). For the sockets,
    which were authenticated once when they opened."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.utils.crypto import constant_time_compare

    if not session_key or user is None or not user.is_active:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(store.get(SESSION_KEY, "")) != str(user.pk):
        return False
    verify = getattr(user, "get_session_auth_hash", None)
    if verify is None:
        return True
    return constant_time_compare(str(store.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash())

"""Database sessions that refuse malformed keys before they reach the database.

Django's keys are 32 lowercase letters and digits. A cookie carrying anything else (a
NUL byte makes PostgreSQL refuse the query outright: a 500 on every URL, WebSockets
included) is treated as no session at all, as an unknown key would be.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return bool(super()._validate_session_key(key) and key.isascii() and key.isalnum())

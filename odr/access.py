"""Who reacts when a user's access changes outside any case event.

``accounts`` changes roles and deactivates users; apps that hold something open on the
user's behalf (mediation's sockets) register here in their ``AppConfig.ready()`` and are
called after the change commits. Like ``odr.events``, the one place to see who reacts,
and it keeps ``accounts`` from importing the apps built on it.
"""

from collections.abc import Callable, Iterable

_listeners: dict[str, Callable[[list[int]], None]] = {}


def register(name: str, func: Callable[[list[int]], None]) -> None:
    """``func(user_ids)`` runs after a commit that changed those users' access."""
    _listeners.setdefault(name, func)


def access_changed(*, user_ids: Iterable[int]) -> None:
    """Tell every listener (call it after the commit)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    for func in _listeners.values():
        func(ids)

"""Unread items of other apps, counted in the same badge (supervision's alert notices).

An app registers a source in its ``AppConfig.ready()``, as supervision registers its
reports with documents' ``register_external``: the badge and the inbox page then count
and link its unread items beside the user's notifications, and the app calls
``notifications.services.live.inbox_changed`` when they change.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class UnreadSource:
    name: str
    count: Callable[[object], int]  # the user's unread items
    describe: Callable[[int], str]  # "3 unread alerts", in the active language
    url_name: str  # where they are read


_sources: dict[str, UnreadSource] = {}


def register_unread_source(source: UnreadSource) -> None:
    _sources.setdefault(source.name, source)


def other_unread(user) -> list[tuple[UnreadSource, int]]:
    """Each registered source with the user's unread count, those with none left out."""
    found = []
    for source in _sources.values():
        count = source.count(user)
        if count:
            found.append((source, count))
    return found

"""Who is connected: one row per open socket, kept alive by heartbeats.

A socket's row expires unless its heartbeat moves ``expires_at`` on; readers count only
rows that have not expired. Disconnect events delete the row early when they come, but
nothing relies on them: a server that crashed or lost its network sends none.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mediation import selectors
from mediation.models import Presence
from mediation.services import broadcast
from mediation.services.locking import write_lock_first


def heartbeat_seconds() -> int:
    return settings.MEDIATION_HEARTBEAT_SECONDS


def presence_ttl() -> dt.timedelta:
    # Three missed heartbeats and the socket counts as gone.
    return dt.timedelta(seconds=3 * heartbeat_seconds())


def _announce(case_id: int, mediator_id: int | None) -> None:
    event = {"type": "case.presence", "online": selectors.online(case_id=case_id)}
    broadcast.send(broadcast.case_group(case_id), event)
    if mediator_id:
        broadcast.console_refresh(mediator_id=mediator_id, case_id=case_id)


def presence_join(
    *, case_id: int, mediator_id: int | None, user, role: str, channel_name: str
) -> None:
    with transaction.atomic():
        write_lock_first()
        Presence.objects.update_or_create(
            channel_name=channel_name,
            defaults={
                "case_id": case_id,
                "user": user,
                "role": role,
                "expires_at": timezone.now() + presence_ttl(),
            },
        )
    _announce(case_id, mediator_id)


def presence_beat(
    *, case_id: int, mediator_id: int | None, user, role: str, channel_name: str
) -> list[dict]:
    """Keep this socket alive, drop the case's expired sockets; who is online now."""
    now = timezone.now()
    updated = Presence.objects.filter(channel_name=channel_name).update(
        expires_at=now + presence_ttl()
    )
    with transaction.atomic():  # delete() reads the rows, then deletes them
        write_lock_first()
        expired, _ = Presence.objects.filter(case_id=case_id, expires_at__lte=now).delete()
    if not updated:  # expired meanwhile (a long pause): present again
        presence_join(
            case_id=case_id,
            mediator_id=mediator_id,
            user=user,
            role=role,
            channel_name=channel_name,
        )
    elif expired:
        _announce(case_id, mediator_id)
    return selectors.online(case_id=case_id)


def presence_leave(*, case_id: int, mediator_id: int | None, channel_name: str) -> None:
    with transaction.atomic():
        write_lock_first()
        deleted, _ = Presence.objects.filter(channel_name=channel_name).delete()
    if deleted:
        _announce(case_id, mediator_id)

"""Appending to a report's hash-chained log, checking the chain, and the handlers that
react to a report's events.

The case-event registry (odr/events.py) hands *case* events to apps that read their case
(mediation listens to every kind), so a report's events have a registry of their own with
the same two phases; it is the one place to see who reacts to a report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from odr.events import Phase
from reports.event_kinds import kind_of
from reports.models import GENESIS_HASH, Report, ReportEvent


@dataclass(frozen=True)
class Handler:
    kinds: frozenset[str]
    func: Callable[[ReportEvent], None]
    phase: Phase
    name: str


_handlers: list[Handler] = []


def register(*kinds: str, phase: Phase, name: str | None = None):
    def decorate(func):
        handler_name = name or f"{func.__module__}.{func.__qualname__}"
        if not any(h.name == handler_name for h in _handlers):
            _handlers.append(Handler(frozenset(kinds), func, phase, handler_name))
        return func

    return decorate


def _dispatch(event: ReportEvent) -> None:
    for handler in _handlers:
        if event.kind not in handler.kinds:
            continue
        if handler.phase == "in_transaction":
            handler.func(event)
        else:
            transaction.on_commit(lambda h=handler, e=event: h.func(e))


def report_event_append(
    *,
    report: Report,
    kind: str,
    actor=None,
    actor_role: str = "",
    from_state: str = "",
    to_state: str = "",
    payload: dict | None = None,
) -> ReportEvent:
    """Append one event. The caller holds the report row lock, so seq and prev_hash are safe."""
    assert transaction.get_connection().in_atomic_block, "events are appended in a transaction"
    declared = kind_of(kind)
    last = ReportEvent.objects.filter(report=report).order_by("-seq").only("seq", "hash").first()
    event = ReportEvent(
        report=report,
        seq=(last.seq + 1) if last else 1,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=actor_role,
        from_state=from_state,
        to_state=to_state,
        payload=payload or {},
        visibility=(
            ReportEvent.Visibility.STAFF
            if declared.seen_by == "staff"
            else ReportEvent.Visibility.REPORTER
        ),
        created_at=timezone.now(),
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event.compute_hash(reference=report.reference)
    event.save(force_insert=True)
    _dispatch(event)
    return event


def report_log_verify(*, report: Report) -> tuple[bool, int | None]:
    """(ok, the first seq that does not match)."""
    previous, expected = GENESIS_HASH, 1
    for event in ReportEvent.objects.filter(report=report).order_by("seq").iterator():
        if event.seq != expected or event.prev_hash != previous:
            return False, event.seq
        if event.compute_hash(reference=report.reference) != event.hash:
            return False, event.seq
        previous, expected = event.hash, expected + 1
    return True, None

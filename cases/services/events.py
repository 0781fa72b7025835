"""Appending to a case's hash-chained event log, and checking the chain."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cases.models import GENESIS_HASH, Case, CaseEvent
from odr import events as registry


def event_append(
    *,
    case: Case,
    kind: str,
    actor=None,
    actor_role: str = "",
    from_state: str = "",
    to_state: str = "",
    ground: str = "",
    payload: dict | None = None,
    visibility: str = CaseEvent.Visibility.PARTIES,
) -> CaseEvent:
    """Append one event. The caller holds the case row lock, so seq and prev_hash are safe."""
    assert transaction.get_connection().in_atomic_block, "events are appended in a transaction"
    last = CaseEvent.objects.filter(case=case).order_by("-seq").only("seq", "hash").first()
    event = CaseEvent(
        case=case,
        seq=(last.seq + 1) if last else 1,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_role=actor_role,
        from_state=from_state,
        to_state=to_state,
        ground=ground,
        payload=payload or {},
        visibility=visibility,
        created_at=timezone.now(),
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event.compute_hash(reference=case.reference)
    event.save(force_insert=True)
    registry.dispatch(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    reference: str
    events: int
    ok: bool
    broken_seq: int | None = None
    problem: str = ""


def case_log_verify(*, case: Case) -> ChainReport:
    """Recompute every hash and link; name the first event that does not match."""
    previous = GENESIS_HASH
    count = 0
    expected_seq = 1
    for event in CaseEvent.objects.filter(case=case).order_by("seq").iterator():
        count += 1
        if event.seq != expected_seq:
            return ChainReport(case.reference, count, False, expected_seq, "event missing")
        if event.prev_hash != previous:
            return ChainReport(case.reference, count, False, event.seq, "link to previous broken")
        if event.compute_hash(reference=case.reference) != event.hash:
            return ChainReport(case.reference, count, False, event.seq, "content changed")
        previous = event.hash
        expected_seq += 1
    return ChainReport(case.reference, count, True)

"""Each act of a group is written in the log of every member case it concerns: one event
per case, appended under that case's lock, in the same transaction as the group's change.
Cases are locked in the order of their keys, so two group acts never deadlock."""

from __future__ import annotations

from django.db import transaction

from cases.models import Case, CaseEvent, case_roles
from cases.services.events import event_append
from groups.models import GroupMembership

_ROLE_ORDER = ("system", "consumer", "merchant", "mediator", "regulator", "admin")


def role_on(case: Case, actor) -> str:
    roles = case_roles(case, actor)
    return next((r for r in _ROLE_ORDER if r in roles), "")


def lock_cases(case_ids: list[int]) -> dict[int, Case]:
    assert transaction.get_connection().in_atomic_block
    return {
        c.pk: c for c in Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk")
    }


def log_on_members(
    *,
    memberships: list[GroupMembership],
    kind: str,
    actor,
    payload: dict,
    per_member: dict[int, dict] | None = None,
    cases: dict[int, Case] | None = None,
    actor_role: str = "",
    visibility: str = CaseEvent.Visibility.PARTIES,
) -> list[CaseEvent]:
    """Append ``kind`` to each member's case (locked here unless ``cases`` holds them)."""
    cases = cases or lock_cases([m.case_id for m in memberships])
    events = []
    for m in sorted(memberships, key=lambda m: m.case_id):
        case = cases[m.case_id]
        extra = (per_member or {}).get(m.pk, {})
        events.append(
            event_append(
                case=case,
                kind=kind,
                actor=actor,
                actor_role=actor_role or role_on(case, actor),
                payload={**payload, "member": m.number, **extra},
                visibility=visibility,
            )
        )
    return events

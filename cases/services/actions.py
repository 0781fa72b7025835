"""The one way to act on a case without changing its state.

Some steps of the procedure change no state: the merchant's first answer in negotiation,
the delivery of the notice that mediation has ended, and the ones still to come
(acknowledging, uploading proof of identity, asking for recusal, bidding). Each is an
``ActionSpec`` here, and ``case_act`` takes it exactly as ``case_transition`` takes a
transition: it locks the case row, checks the state and the actor's role on the case,
appends the action's event, and moves the clocks the rule set says the action starts,
ends or cancels (cases/services/clocks.py). Its event is declared in cases/event_kinds.py
with ``changes_state=False``, so readers of the log never take it for a state change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, CaseEvent, CaseRole, State, case_roles
from cases.services import clocks
from cases.services.events import event_append
from odr.errors import Conflict, DomainError, NotAllowed


@dataclass(frozen=True)
class ActionSpec:
    """An act that changes no state: who may take it, in which states, and its event."""

    name: str
    label: Any
    roles: frozenset[str]
    states: frozenset[str]
    event_kind: str
    visibility: str = CaseEvent.Visibility.PARTIES


ACTIONS: dict[str, ActionSpec] = {
    a.name: a
    for a in [
        # The merchant's first answer (an offer or a message) ends its answer clock.
        ActionSpec(
            "merchant_answer",
            gettext_lazy("The merchant answers"),
            frozenset({CaseRole.MERCHANT}),
            frozenset({State.NEGOTIATION}),
            "negotiation.merchant_answered",
        ),
        # The parties have been sent the notice that mediation ended (documents app).
        ActionSpec(
            "termination_notice_delivered",
            gettext_lazy("Notice that mediation has ended delivered"),
            frozenset({CaseRole.SYSTEM, CaseRole.REGULATOR, CaseRole.MEDIATOR}),
            frozenset({State.MEDIATION_FAILED, State.REFERRED, State.ARBITRATING}),
            "case.termination_notice_delivered",
        ),
    ]
}


def case_act(
    *,
    case: Case,
    name: str,
    actor,
    payload: dict | None = None,
    locked: bool = False,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Take one action for an actor: 403 if it is not theirs, 409 if not possible now.

    ``at`` is when it happened, if not now. Returns the event it appended.
    """
    spec = ACTIONS.get(name)
    if spec is None:
        raise DomainError(_("Unknown action “%(name)s”.") % {"name": name}, code="unknown_action")
    with transaction.atomic(savepoint=not locked):
        if not locked:
            try:
                case = Case.objects.select_for_update().get(pk=case.pk)
            except Case.DoesNotExist as exc:
                raise Conflict(_("This case no longer exists.")) from exc
        if case.state not in spec.states:
            raise Conflict(
                _("“%(action)s” is not possible while the case is %(state)s.")
                % {"action": spec.label, "state": case.get_state_display()},
                code="illegal_action",
            )
        roles = case_roles(case, actor)
        acting = [role for role in spec.roles if role in roles]
        if not acting:
            raise NotAllowed(
                _("You may not “%(action)s” on this case.") % {"action": spec.label},
                code="not_your_action",
            )
        when = at or timezone.now()
        # The clocks first, so that the event says how the act stood against each of them.
        moved = clocks.clocks_move(case=case, step=name, at=when)
        event = event_append(
            case=case,
            kind=spec.event_kind,
            actor=actor,
            actor_role=sorted(acting)[0],
            payload={"action": name, "at": when.isoformat(), "clocks": moved, **(payload or {})},
            visibility=spec.visibility,
        )
    return event

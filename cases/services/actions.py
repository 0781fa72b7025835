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
        # Proof of identity (SAMR form 4; cases/services/identity.py): the office asks the
        # complainant, who provides it; the rule set's clock "identity_proof" runs between.
        ActionSpec(
            "identity_request",
            gettext_lazy("Ask for proof of identity"),
            frozenset({CaseRole.REGULATOR}),
            frozenset({State.REVIEW, State.MEDIATION}),
            "identity.requested",
        ),
        ActionSpec(
            "identity_provide",
            gettext_lazy("Provide proof of identity"),
            frozenset({CaseRole.CONSUMER}),
            frozenset({State.REVIEW, State.MEDIATION}),
            "identity.provided",
        ),
        # Recusal of the mediator (SAMR form 7; cases/services/recusal.py): a party asks
        # within the clock "recusal_window", the office grants or refuses.
        ActionSpec(
            "recusal_request",
            gettext_lazy("Ask for the mediator's recusal"),
            frozenset({CaseRole.CONSUMER, CaseRole.MERCHANT}),
            frozenset({State.MEDIATION}),
            "recusal.requested",
        ),
        ActionSpec(
            "recusal_grant",
            gettext_lazy("Grant the recusal"),
            frozenset({CaseRole.REGULATOR}),
            frozenset({State.MEDIATION}),
            "recusal.granted",
        ),
        ActionSpec(
            "recusal_refuse",
            gettext_lazy("Refuse the recusal"),
            frozenset({CaseRole.REGULATOR}),
            frozenset({State.MEDIATION}),
            "recusal.refused",
        ),
        # After a granted recusal, the office assigns another mediator: a new mediation
        # notice (form 7) and a new window to ask for recusal.
        ActionSpec(
            "mediator_assign",
            gettext_lazy("Assign another mediator"),
            frozenset({CaseRole.REGULATOR}),
            frozenset({State.MEDIATION}),
            "mediation.mediator_assigned",
        ),
        # A transfer (转办) to the competent office (cases/services/transfers.py): taken by a
        # regulator of the handling office while the acceptance decision is pending; the
        # acceptance clock restarts from the receiving office's receipt.
        ActionSpec(
            "transfer",
            gettext_lazy("Transfer to the competent office"),
            frozenset({CaseRole.REGULATOR}),
            frozenset({State.REVIEW}),
            "case.transferred",
        ),
        # The consumer changes an answer of the registration (cases/services/consents.py).
        ActionSpec(
            "consent_change",
            gettext_lazy("Change an answer of the registration"),
            frozenset({CaseRole.CONSUMER}),
            frozenset({State.SUBMITTED, State.NEGOTIATION, State.REVIEW}),
            "case.consent_changed",
        ),
    ]
}


def check_action(*, case: Case, name: str, actor) -> list[str]:
    """Refuse an action that cannot be taken now (409) or is not the actor's (403), as
    ``case_act`` does. Returns the roles the actor takes it in.

    Services that check more than this before acting (cases/services/recusal.py) call it
    first, under the case lock, then ``case_act`` with ``locked=True``.
    """
    spec = ACTIONS.get(name)
    if spec is None:
        raise DomainError(_("Unknown action “%(name)s”.") % {"name": name}, code="unknown_action")
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
    return sorted(acting)


def case_locked(case: Case) -> Case:
    """The case's row, locked for the rest of the transaction (409 if it is gone)."""
    try:
        return Case.objects.select_for_update().get(pk=case.pk)
    except Case.DoesNotExist as exc:
        raise Conflict(_("This case no longer exists.")) from exc


def check_text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    """A party's or an officer's words for an act (reasons, what to provide): trimmed,
    without NUL, at most `limit` characters; the refusal names the field."""
    value = (value or "").strip()
    if not value:
        if required:
            raise DomainError(_("This field is required."), fields={field: [_("Required.")]})
        return ""
    if "\x00" in value:
        message = _("Remove the NUL character.")
        raise DomainError(message, fields={field: [message]})
    if len(value) > limit:
        message = _("At most %(n)d characters.") % {"n": limit}
        raise DomainError(message, fields={field: [message]})
    return value


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
        acting = check_action(case=case, name=name, actor=actor)
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

"""Recusal of the mediator: a party asks, within the window the mediation notice gives
(SAMR form 7, 投诉调解通知书), that the mediator step aside; the office of the case decides.

The window is the rule set's clock "recusal_window" (cases/rulesets.py): it starts when a
mediator is assigned (on acceptance, and on ``mediator_assign`` after a granted recusal),
and a granted recusal cancels it. The grounds a party may give are the rule set's
``recusal`` rule. Granting assigns another mediator in the same transaction: a new
mediation notice is issued for that assignment (documents/kinds.py TRIGGERS) and a new
window runs. Every step is an action (cases/services/actions.py) with its event, so the
parties, the mediator and the office are told (notifications) and the log keeps it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseRole, Deadline, RecusalRequest, case_roles
from cases.rulesets import RecusalRule, ruleset_by_key
from cases.services.actions import case_act, case_locked, check_action, check_text
from cases.services.transitions import SPECS, check_mediator, field_choices
from odr.errors import Conflict, DomainError, NotAllowed

CLOCK = "recusal_window"
MAX_REASONS = 4000


def recusal_rule(case: Case) -> RecusalRule | None:
    return ruleset_by_key(case.ruleset).recusal


def recusal_window(*, case: Case, now: dt.datetime | None = None) -> Deadline | None:
    """The running window to ask for the mediator's recusal, if it is still open."""
    now = now or timezone.now()
    return (
        Deadline.objects.filter(
            case=case, clock=CLOCK, status=Deadline.Status.RUNNING, due_at__gte=now
        )
        .order_by("-started_at")
        .first()
    )


def recusal_pending(*, case: Case) -> RecusalRequest | None:
    return (
        RecusalRequest.objects.filter(case=case, status=RecusalRequest.Status.PENDING)
        .select_related("mediator", "requested_by")
        .first()
    )


def recusal_may_ask(*, case: Case, user, now: dt.datetime | None = None) -> Deadline | None:
    """The open window if this user may ask now (a party who has not yet asked about this
    mediator, no other request pending), else None. For the case page's button."""
    roles = case_roles(case, user)
    party = _party(roles)
    if not party or case.state != "mediation" or case.mediator_id is None:
        return None
    if recusal_rule(case) is None or recusal_pending(case=case) is not None:
        return None
    if RecusalRequest.objects.filter(case=case, party=party, mediator_id=case.mediator_id).exists():
        return None
    return recusal_window(case=case, now=now)


def _party(roles: set[str]) -> str:
    if CaseRole.CONSUMER in roles:
        return CaseRole.CONSUMER
    if CaseRole.MERCHANT in roles:
        return CaseRole.MERCHANT
    return ""


def recusal_request(*, case: Case, actor, ground: str, reasons: str) -> RecusalRequest:
    """A party asks for the mediator's recusal, with a ground of the rule set and reasons.

    Refused (409) after the window, while another request is pending, or when this party
    has already asked about this mediator.
    """
    with transaction.atomic():
        case = case_locked(case)
        check_action(case=case, name="recusal_request", actor=actor)
        rule = recusal_rule(case)
        if rule is None or case.mediator_id is None:
            raise Conflict(
                _("There is no mediator to ask the recusal of on this case."),
                code="no_recusal",
            )
        codes = [g.code for g in rule.grounds]
        if (ground or "") not in codes:
            message = _("Choose one of the listed values.")
            raise DomainError(message, fields={"ground": [message]})
        reasons = check_text(reasons, field="reasons", limit=MAX_REASONS)
        now = timezone.now()
        if recusal_window(case=case, now=now) is None:
            raise Conflict(
                _("The time to ask for the mediator's recusal has passed."),
                code="recusal_window_closed",
            )
        if recusal_pending(case=case) is not None:
            raise Conflict(
                _("A request for the mediator's recusal is already waiting for the decision."),
                code="recusal_pending",
            )
        party = _party(case_roles(case, actor))
        if RecusalRequest.objects.filter(
            case=case, party=party, mediator_id=case.mediator_id
        ).exists():
            raise Conflict(
                _("You have already asked for this mediator's recusal."),
                code="recusal_already_asked",
            )
        request = RecusalRequest.objects.create(
            case=case,
            party=party,
            requested_by=actor,
            mediator_id=case.mediator_id,
            ground=ground,
            reasons=reasons,
            created_at=now,
        )
        case_act(
            case=case,
            name="recusal_request",
            actor=actor,
            payload={
                "request": request.pk,
                "ground": ground,
                "reason": reasons,
                "mediator": case.mediator_id,
            },
            locked=True,
            at=now,
        )
    return request


def mediator_choices(*, case: Case) -> list[tuple[str, str]]:
    """The mediators the office may assign instead: those acceptance would offer (the
    same rules of area and consent), less the one asked to step aside."""
    spec = next(f for f in SPECS["accept"].fields if f.name == "mediator")
    return [
        (value, label)
        for value, label in field_choices(case, spec)
        if value != str(case.mediator_id)
    ]


def _check_decider(case: Case, actor, pending: RecusalRequest | None) -> RecusalRequest:
    if pending is None:
        raise Conflict(
            _("No request for the mediator's recusal is waiting for a decision."),
            code="no_pending_recusal",
        )
    if getattr(actor, "pk", None) == pending.mediator_id:
        raise NotAllowed(
            _("A mediator does not decide on their own recusal."), code="not_your_action"
        )
    return pending


def recusal_decide(
    *, case: Case, actor, grant: bool, reasons: str = "", new_mediator: str | int | None = None
) -> RecusalRequest:
    """The office decides the pending request. Granting names another mediator, who is
    assigned at once (a new mediation notice and a new window); refusing gives reasons."""
    with transaction.atomic():
        case = case_locked(case)
        check_action(case=case, name="recusal_grant" if grant else "recusal_refuse", actor=actor)
        pending = _check_decider(case, actor, recusal_pending(case=case))
        reasons = check_text(reasons, field="reasons", limit=MAX_REASONS, required=not grant)
        now = timezone.now()
        if not grant:
            pending.status = RecusalRequest.Status.REFUSED
            pending.decided_by = actor
            pending.decided_at = now
            pending.decision_reasons = reasons
            pending.save(update_fields=["status", "decided_by", "decided_at", "decision_reasons"])
            case_act(
                case=case,
                name="recusal_refuse",
                actor=actor,
                payload={"request": pending.pk, "reason": reasons},
                locked=True,
                at=now,
            )
            return pending
        chosen = str(new_mediator or "").strip()
        if chosen == str(case.mediator_id):
            message = _("Choose another mediator than the one asked to step aside.")
            raise DomainError(message, fields={"new_mediator": [message]})
        try:
            # The same rules as at acceptance: the area, and the consumer's answer about
            # mediation by a consumer association (said plainly when it refuses).
            mediator, organisation = check_mediator(case, chosen)
        except DomainError as exc:
            raise DomainError(
                exc.message, code=exc.code, fields={"new_mediator": [exc.message]}
            ) from exc
        previous = case.mediator_id
        pending.status = RecusalRequest.Status.GRANTED
        pending.decided_by = actor
        pending.decided_at = now
        pending.decision_reasons = reasons
        pending.new_mediator = mediator
        pending.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reasons", "new_mediator"]
        )
        # Told while the mediator asked about is still on the case: the parties and them.
        case_act(
            case=case,
            name="recusal_grant",
            actor=actor,
            payload={
                "request": pending.pk,
                "reason": reasons,
                "mediator": previous,
                "new_mediator": mediator.pk,
            },
            locked=True,
            at=now,
        )
        case.mediator = mediator
        case.mediation_organisation = organisation
        Case.objects.filter(pk=case.pk).update(
            mediator=mediator, mediation_organisation=organisation
        )
        # The new assignment: its mediation notice and its window (and the new mediator told).
        case_act(
            case=case,
            name="mediator_assign",
            actor=actor,
            payload={"mediator": mediator.pk, "replaces": previous, "request": pending.pk},
            locked=True,
            at=now,
        )
    return pending

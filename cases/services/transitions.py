"""The one way a case changes state.

``case_transition`` locks the case row, checks the actor's right and the state, calls the
pure ``@transition`` method, saves, appends the event, moves the clocks, and leaves every
outside effect to after-commit handlers (odr/events.py).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from accounts.models import ArbitrationBody, MediationOrganisation, Role, User
from cases.models import TERMINAL_STATES, Case, CaseEvent, Deadline, State, case_roles
from cases.rulesets import ruleset_by_key
from cases.services import clocks
from cases.services.events import event_append
from odr.divisions import division_covers
from odr.errors import Conflict, DomainError, NotAllowed

MAX_TEXT = 4000


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text, choice, date, decimal, int
    required: bool = True
    label: Any = ""


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    label: Any
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)
    # Taken through another app's service, not through the transitions endpoint or the
    # case page: an award is recorded by the arbitration app, with its PDF and terms.
    via: str = ""


_REASON = FieldSpec("reason", "text", True, gettext_lazy("Reason"))
_OPTIONAL_REASON = FieldSpec("reason", "text", False, gettext_lazy("Reason"))
_TERMS = (
    FieldSpec("description", "text", True, gettext_lazy("Terms")),
    FieldSpec("amount", "decimal", False, gettext_lazy("Amount (CNY)")),
    FieldSpec("performance_due_on", "date", True, gettext_lazy("Perform by")),
)

SPECS: dict[str, TransitionSpec] = {
    s.name: s
    for s in [
        TransitionSpec("start_negotiation", gettext_lazy("Start negotiation")),
        TransitionSpec("request_review", gettext_lazy("Send for review")),
        TransitionSpec("settle", gettext_lazy("Settle"), _TERMS),
        TransitionSpec(
            "escalate", gettext_lazy("Ask the regulator to step in"), (_OPTIONAL_REASON,)
        ),
        TransitionSpec(
            "accept",
            gettext_lazy("Accept the complaint"),
            (FieldSpec("mediator", "choice", True, gettext_lazy("Mediator")),),
        ),
        TransitionSpec(
            "reject",
            gettext_lazy("Refuse the complaint"),
            (FieldSpec("ground", "choice", True, gettext_lazy("Legal ground")), _REASON),
        ),
        TransitionSpec("reach_agreement", gettext_lazy("Record the mediation agreement"), _TERMS),
        TransitionSpec(
            "terminate",
            gettext_lazy("End mediation without agreement"),
            (FieldSpec("ground", "choice", True, gettext_lazy("Legal ground")), _REASON),
        ),
        TransitionSpec(
            "refer_to_arbitration",
            gettext_lazy("Refer to arbitration"),
            (FieldSpec("body", "choice", True, gettext_lazy("Arbitration body")),),
        ),
        TransitionSpec("close", gettext_lazy("Close the case"), (_OPTIONAL_REASON,)),
        TransitionSpec("arbitration_accept", gettext_lazy("Accept the referral")),
        TransitionSpec("arbitration_decline", gettext_lazy("Decline the referral"), (_REASON,)),
        TransitionSpec("record_award", gettext_lazy("Record the award"), _TERMS, via="arbitration"),
        TransitionSpec("confirm_performance", gettext_lazy("Confirm it was done")),
        TransitionSpec("report_breach", gettext_lazy("Report it was not done"), (_REASON,)),
        TransitionSpec("withdraw", gettext_lazy("Withdraw the complaint"), (_OPTIONAL_REASON,)),
    ]
}
# In negotiation, settling means accepting an offer: that goes through offer_accept.
VIA_OFFER = {("settle", State.NEGOTIATION)}


def field_choices(case: Case, spec: FieldSpec) -> list[tuple[str, str]]:
    """The values a choice field may take for this case, with labels in the current language."""
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    if spec.name == "ground":
        rules = ruleset_by_key(case.ruleset)
        grounds = rules.refusal_grounds if case.state == State.REVIEW else rules.termination_grounds
        if case.state != State.REVIEW and not mediation_limit_passed(case):
            # "No agreement within the limit" is a ground only once the limit has passed.
            grounds = tuple(g for g in grounds if g.code != TIME_LIMIT_GROUND)
        return [
            (g.code, f"{g.article.en} {g.text_en}" if english else f"{g.article.zh} {g.text_zh}")
            for g in grounds
        ]
    if spec.name == "mediator":
        return [
            (str(r.user_id), f"{r.user} · {r.mediation_organisation}")
            for r in mediator_roles(case)
            if mediator_permitted(case, r.mediation_organisation)
        ]
    if spec.name == "body":
        return [(str(b.pk), b.name) for b in ArbitrationBody.objects.order_by("name")]
    return []


TIME_LIMIT_GROUND = "time_limit"
MEDIATION_LIMIT = "mediation_limit"


def mediator_roles(case: Case) -> list[Role]:
    """The mediators whose organisation serves the place of the office handling the case
    (after a transfer, the receiving office's: ADR 0010)."""
    mediators = Role.objects.filter(kind=Role.Kind.MEDIATOR).select_related(
        "user", "mediation_organisation"
    )
    return [
        r
        for r in mediators
        if division_covers(r.mediation_organisation.division_code, case.office_code)
        or r.mediation_organisation.division_code == case.office_code
    ]


def mediator_permitted(case: Case, organisation: MediationOrganisation) -> bool:
    """A consumer association mediates only where the consumer agreed to delegated
    mediation at registration (or since, cases/services/consents.py)."""
    return (
        organisation.kind != MediationOrganisation.Kind.ASSOCIATION
        or case.agrees_to_delegated_mediation
    )


def check_mediator(case: Case, user_id: int | str) -> tuple[User, MediationOrganisation]:
    """The mediator chosen for a case and their organisation; a clear refusal when the
    mediator does not serve the case or is a consumer association's that the consumer
    did not agree to. Every assignment of a mediator goes through here."""
    role = next((r for r in mediator_roles(case) if str(r.user_id) == str(user_id)), None)
    if role is None:
        raise DomainError(
            _("Choose one of the listed mediators."),
            code="unknown_mediator",
            fields={"mediator": [_("Choose one of the listed mediators.")]},
        )
    if not mediator_permitted(case, role.mediation_organisation):
        message = _(
            "The consumer did not agree to mediation by a consumer association. Choose a "
            "mediator of the market regulation office."
        )
        raise DomainError(
            message, code="delegated_mediation_refused", fields={"mediator": [message]}
        )
    return role.user, role.mediation_organisation


def mediation_limit_passed(case: Case, now: dt.datetime | None = None) -> bool:
    """Whether the case's mediation limit has passed on a date that can no longer move."""
    now = now or timezone.now()
    for deadline in Deadline.objects.filter(case=case, clock=MEDIATION_LIMIT).exclude(
        status=Deadline.Status.CANCELLED
    ):
        if deadline.status == Deadline.Status.EXPIRED or (
            deadline.status == Deadline.Status.RUNNING and clocks.may_act_on(deadline, now)
        ):
            return True
    return False


def _regulator_terminates(case: Case, actor) -> bool:
    """A regulator (not the case's mediator) ends mediation only on the time-limit ground,
    once the limit has passed: the sweep hands the case to the office then."""
    roles = case_roles(case, actor)
    return "regulator" in roles and "mediator" not in roles


class _Invalid(Exception):
    """A field value the user must correct; the message is for them."""


MAX_PERFORMANCE_DAYS = 365


def _parse_one(case: Case, f: FieldSpec, text: str) -> Any:
    if "\x00" in text:
        raise _Invalid(_("Remove the NUL character."))
    if f.kind == "text":
        if len(text) > MAX_TEXT:
            raise _Invalid(_("At most %(n)d characters.") % {"n": MAX_TEXT})
        return text
    if f.kind == "decimal":
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise _Invalid(_("Enter an amount in yuan, like 199.00.")) from exc
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
            raise _Invalid(_("Enter an amount in yuan, like 199.00."))
        return amount.quantize(Decimal("0.01"))
    if f.kind == "date":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as exc:
            raise _Invalid(_("Enter a date like 2026-12-31.")) from exc
        today = timezone.localdate()
        if not today <= day <= today + dt.timedelta(days=MAX_PERFORMANCE_DAYS):
            raise _Invalid(
                _("Choose a date from today to %(n)d days from now.") % {"n": MAX_PERFORMANCE_DAYS}
            )
        return day
    if f.kind == "choice" and f.name == "mediator":
        # Said plainly when a consumer association's mediator is refused.
        try:
            check_mediator(case, text)
        except DomainError as exc:
            raise _Invalid(exc.message) from exc
        return text
    if f.kind == "choice":
        if text not in dict(field_choices(case, f)):
            raise _Invalid(_("Choose one of the listed values."))
        return text
    raise _Invalid(_("Enter a valid value."))


def _parse(case: Case, spec: TransitionSpec, data: dict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in spec.fields:
        raw = data.get(f.name)
        text = "" if raw is None else str(raw).strip()
        if not text:
            if f.required:
                errors[f.name] = [_("This field is required.")]
            continue
        try:
            values[f.name] = _parse_one(case, f, text)
        except _Invalid as exc:
            errors[f.name] = [str(exc)]
    if errors:
        first = next(iter(errors.values()))[0]
        raise DomainError(first, fields=errors)
    return values


def _actor_role(case: Case, actor) -> str:
    roles = case_roles(case, actor)
    for role in ("system", "consumer", "merchant", "mediator", "regulator", "arbitration", "admin"):
        if role in roles:
            return role
    return ""


def transitions_available(*, case: Case, actor) -> list[TransitionSpec]:
    """The transitions this actor may take now (conditions met and permitted) through the
    transitions endpoint and the case page."""
    result = []
    for transition in case.get_available_user_state_transitions(actor):
        spec = SPECS[transition.name]
        if (spec.name, case.state) in VIA_OFFER or spec.via:
            continue
        regulator_early = spec.name == "terminate" and _regulator_terminates(case, actor)
        if regulator_early and not mediation_limit_passed(case):
            continue
        result.append(spec)
    return result


def check_transition_door(*, name: str) -> None:
    """Refuse, at the transitions endpoint and the case page, a transition that another
    app takes with more than the case fields (an award needs its PDF and terms)."""
    spec = SPECS.get(name)
    if spec is not None and spec.via == "arbitration":
        raise Conflict(
            _("An award is recorded through the arbitration portal or API, with the award PDF."),
            code="use_arbitration",
        )


def _method(case: Case, name: str):
    if name not in SPECS:
        raise DomainError(
            _("Unknown action “%(name)s”.") % {"name": name}, code="unknown_transition"
        )
    return getattr(case, name)


def case_transition(
    *,
    case: Case,
    name: str,
    actor,
    data: dict | None = None,
    locked: bool = False,
    via_offer: bool = False,
    at: dt.datetime | None = None,
) -> Case:
    """Take one transition for an actor; 403 if not theirs, 409 if not possible now.

    ``at`` is when it happened, if not now (a submission dated by its receipt).
    """
    data = data or {}
    # A caller that holds the lock owns the transaction: no savepoint of our own.
    with transaction.atomic(savepoint=not locked):
        if not locked:
            try:
                case = Case.objects.select_for_update(nowait=False).get(pk=case.pk)
            except Case.DoesNotExist as exc:  # deleted meanwhile
                raise Conflict(_("This case no longer exists.")) from exc
        method = _method(case, name)
        if (name, case.state) in VIA_OFFER and not via_offer:
            raise Conflict(
                _("In negotiation, a case is settled by accepting an offer."), code="use_offers"
            )
        if not can_proceed(method, check_conditions=False):
            raise Conflict(
                _("“%(action)s” is not possible while the case is %(state)s.")
                % {"action": SPECS[name].label, "state": case.get_state_display()},
                code="illegal_transition",
            )
        if not method._django_fsm.has_transition_perm(case, case.state, actor):
            raise NotAllowed(
                _("You may not “%(action)s” on this case.") % {"action": SPECS[name].label},
                code="not_your_action",
            )
        if not can_proceed(method):
            raise Conflict(_condition_message(case, name), code="condition_not_met")
        values = _parse(case, SPECS[name], data)
        regulator = name == "terminate" and _regulator_terminates(case, actor)
        if regulator and values.get("ground") != TIME_LIMIT_GROUND:
            raise NotAllowed(
                _(
                    "The office ends a mediation only once its time limit has passed, on "
                    "that ground; the mediator ends it on any other."
                ),
                code="not_your_action",
            )
        kwargs = _kwargs(case, name, values)
        from_state = case.state
        # The role the actor acts in, before the transition may change it (a declining
        # arbitration body is no longer the case's body afterwards).
        role = _actor_role(case, actor)
        method(**kwargs)
        try:
            case.save()
        except ConcurrentTransition as exc:
            raise Conflict(
                _(
                    "Someone else changed this case at the same moment. Please reload and try again."
                ),
                code="concurrent_transition",
            ) from exc
        event_append(
            case=case,
            kind=f"transition.{name}",
            actor=actor,
            actor_role=role,
            from_state=from_state,
            to_state=case.state,
            ground=values.get("ground", ""),
            payload=_payload(values),
            visibility=CaseEvent.Visibility.PARTIES,
        )
        _move_clocks(case, name, actor, at or timezone.now())
    return case


def _condition_message(case: Case, name: str) -> str:
    if name == "refer_to_arbitration":
        return _("Both the consumer and the merchant must sign the arbitration agreement first.")
    if name == "reach_agreement":
        return _(
            "The merchant is not linked to its platform record yet, so it cannot confirm the "
            "agreement. Ask a regulator to link the merchant first."
        )
    return _("The conditions for this action are not met.")


def _kwargs(case: Case, name: str, values: dict[str, Any]) -> dict[str, Any]:
    if name in ("settle", "reach_agreement", "record_award"):
        terms = {
            "description": values["description"],
            "amount": str(values["amount"]) if values.get("amount") is not None else None,
        }
        return {"terms": terms, "performance_due_on": values["performance_due_on"]}
    if name == "accept":
        mediator, organisation = check_mediator(case, values["mediator"])
        return {"mediator": mediator, "organisation": organisation}
    if name in ("reject", "terminate"):
        return {"ground": values["ground"], "reason": values["reason"]}
    if name == "refer_to_arbitration":
        return {"body": ArbitrationBody.objects.get(pk=int(values["body"]))}
    if name in ("arbitration_decline", "report_breach"):
        return {"reason": values["reason"]}
    if name == "withdraw":
        return {"reason": values.get("reason", "")}
    if name == "close":
        return {}
    return {}


def _payload(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        if isinstance(value, Decimal | dt.date):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def _move_clocks(case: Case, name: str, actor, now: dt.datetime) -> dict[str, str]:
    """The clocks the rule set says this transition ends, cancels and starts."""
    moved = clocks.clocks_move(case=case, step=name, at=now)
    if case.state in TERMINAL_STATES:
        case.closed_at = now
        Case.objects.filter(pk=case.pk).update(closed_at=now)
    return moved

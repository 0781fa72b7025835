"""The state machine: every transition, for every kind of actor, from every state it leaves.

The table below is the specification (DESIGN.md, States): who may take each transition.
Each case is driven into the source state through the real services, then every actor
kind tries the transition. Allowed: the state moves and one ``transition.<name>`` event
records from and to. Refused: 403 ``not_your_action`` (or 409) and nothing changed.
"""

import datetime as dt

import pytest
from django.db import transaction

from accounts.tests import factories as af
from cases.models import NON_TERMINAL_STATES, SYSTEM, Case, CaseEvent, Deadline, State
from cases.rulesets import ORDER_20, ORDER_121
from cases.services.events import case_log_verify
from cases.services.transitions import SPECS, VIA_OFFER, case_transition, transitions_available
from cases.tests import factories as cf
from odr.calendar import add_calendar_days
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db

S = State

# Who may take each transition, by actor kind (cases/tests/factories.py ACTORS).
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("start_negotiation", S.SUBMITTED): {"system"},
    ("request_review", S.SUBMITTED): {"system"},
    ("settle", S.NEGOTIATION): set(),  # through offers only: see VIA_OFFER below
    ("settle", S.ARBITRATING): {"arbitration_staff"},
    ("escalate", S.NEGOTIATION): {"consumer", "system"},
    ("accept", S.REVIEW): {"regulator", "admin"},
    ("reject", S.REVIEW): {"regulator", "admin"},
    ("reach_agreement", S.MEDIATION): {"mediator"},
    ("terminate", S.MEDIATION): {"mediator"},
    ("refer_to_arbitration", S.MEDIATION_FAILED): {"consumer", "mediator", "system"},
    ("close", S.MEDIATION_FAILED): {"consumer", "mediator", "regulator", "admin"},
    ("arbitration_accept", S.REFERRED): {"arbitration_staff"},
    ("arbitration_decline", S.REFERRED): {"arbitration_staff"},
    ("record_award", S.ARBITRATING): {"arbitration_staff"},
    ("confirm_performance", S.SETTLED): {"consumer"},
    ("confirm_performance", S.AWARDED): {"consumer"},
    ("report_breach", S.SETTLED): {"consumer"},
    ("report_breach", S.AWARDED): {"consumer"},
    **{("withdraw", state): {"consumer"} for state in NON_TERMINAL_STATES},
}

TARGET = {
    "start_negotiation": S.NEGOTIATION,
    "request_review": S.REVIEW,
    "settle": S.SETTLED,
    "escalate": S.REVIEW,
    "accept": S.MEDIATION,
    "reject": S.REJECTED,
    "reach_agreement": S.SETTLED,
    "terminate": S.MEDIATION_FAILED,
    "refer_to_arbitration": S.REFERRED,
    "close": S.CLOSED,
    "arbitration_accept": S.ARBITRATING,
    "arbitration_decline": S.MEDIATION_FAILED,
    "record_award": S.AWARDED,
    "confirm_performance": S.CLOSED,
    "report_breach": S.CLOSED,
    "withdraw": S.WITHDRAWN,
}

# The role the event records for each actor kind that may act.
ROLE = {
    "consumer": "consumer",
    "merchant_staff": "merchant",
    "regulator": "regulator",
    "mediator": "mediator",
    "arbitration_staff": "arbitration",
    "admin": "admin",
    "system": "system",
}

ROWS = [pytest.param(name, source, id=f"{name}-{source}") for (name, source) in ALLOWED]


def test_the_table_covers_every_transition_of_the_model_and_every_spec():
    field = Case._meta.get_field("state")
    model = {(t.name, t.source): t.target for t in field.get_all_transitions(Case)}
    assert set(model) == set(ALLOWED)
    assert {name for name, _source in model} == set(SPECS) == set(TARGET)
    for (name, _source), target in model.items():
        assert TARGET[name] == target


def _attempt(
    c: cf.Cast, case: Case, name: str, source: str, actor_kind: str, before: tuple
) -> list[str]:
    """One actor tries the transition in a savepoint that is then rolled back.

    Returns what differs from the table, so one run reports every actor that is wrong.
    """
    problems: list[str] = []
    last_seq = len(before[9])
    actor = c.actor(actor_kind)
    data = cf.transition_data(c, name)
    with transaction.atomic():
        try:
            returned = case_transition(case=case, name=name, actor=actor, data=data)
        except DomainError as exc:
            returned, outcome = None, (exc.status, exc.code)
        if (name, source) in VIA_OFFER:
            expected = (409, "use_offers")
        elif actor_kind in ALLOWED[(name, source)]:
            expected = (200, "")
        else:
            expected = (403, "not_your_action")
        if returned is not None:
            outcome = (200, "")
            fresh = Case.objects.get(pk=case.pk)
            event = CaseEvent.objects.filter(case=case, seq=last_seq + 1).first()
            seen = (
                returned.state,
                fresh.state,
                event and event.kind,
                event and event.from_state,
                event and event.to_state,
                event and event.actor_id,
                event and event.actor_role,
                event and event.ground,
                case_log_verify(case=fresh).ok,
            )
            wanted = (
                TARGET[name],
                TARGET[name],
                f"transition.{name}",
                source,
                TARGET[name],
                None if actor is SYSTEM else actor.pk,
                ROLE.get(actor_kind),
                data.get("ground", ""),
                True,
            )
            if seen != wanted:
                problems.append(f"{actor_kind}: recorded {seen}, expected {wanted}")
        elif cf.snapshot(case) != before:
            problems.append(f"{actor_kind}: refused but the case changed")
        if outcome != expected:
            problems.append(f"{actor_kind}: got {outcome}, expected {expected}")
        transaction.set_rollback(True)
    if cf.snapshot(case) != before:
        problems.append(f"{actor_kind}: the attempt was not rolled back")
    return problems


@pytest.mark.parametrize(("name", "source"), ROWS)
def test_transition_for_each_actor_kind(name, source):
    """Every actor kind tries the transition on the same case (each attempt rolled back)."""
    c = cf.cast()
    case = cf.case_in(source, c)
    assert case.state == source
    before = cf.snapshot(case)
    problems = [p for actor in cf.ACTORS for p in _attempt(c, case, name, source, actor, before)]
    assert problems == []


# --- Illegal in the wrong state --------------------------------------------------------


@pytest.mark.parametrize("state", list(State.values))
def test_every_transition_not_leaving_a_state_is_an_illegal_transition(state):
    c = cf.cast()
    case = cf.case_in(state, c)
    sources = {name for (name, source) in ALLOWED if source == state}
    before = cf.snapshot(case)
    tried = 0
    for name in SPECS:
        if name in sources:
            continue
        for actor_kind in ("consumer", "regulator", "mediator", "arbitration_staff", "system"):
            with pytest.raises(Conflict) as refused:
                case_transition(
                    case=case,
                    name=name,
                    actor=c.actor(actor_kind),
                    data=cf.transition_data(c, name),
                )
            assert (refused.value.status, refused.value.code) == (409, "illegal_transition"), (
                name,
                actor_kind,
            )
            tried += 1
    assert tried == 5 * (len(SPECS) - len(sources))
    assert cf.snapshot(case) == before


def test_unknown_transition_name_is_refused_with_its_own_code():
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    before = cf.snapshot(case)
    for name in ("delete", "save", "__init__", "get_state_display", ""):
        with pytest.raises(DomainError) as refused:
            case_transition(case=case, name=name, actor=c.actor("admin"))
        assert (refused.value.status, refused.value.code) == (400, "unknown_transition")
    assert cf.snapshot(case) == before


# --- Conditions ------------------------------------------------------------------------


@pytest.mark.parametrize("actor_kind", ["consumer", "mediator", "system"])
def test_refer_to_arbitration_without_both_consents_is_a_condition_not_met(actor_kind):
    c = cf.cast()
    case = cf.case_in(S.MEDIATION_FAILED, c, consented=False)
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        case_transition(
            case=case,
            name="refer_to_arbitration",
            actor=c.actor(actor_kind),
            data=cf.transition_data(c, "refer_to_arbitration"),
        )
    assert (refused.value.status, refused.value.code) == (409, "condition_not_met")
    assert cf.snapshot(case) == before


def test_refer_to_arbitration_without_consent_by_a_stranger_is_still_not_theirs():
    c = cf.cast()
    case = cf.case_in(S.MEDIATION_FAILED, c, consented=False)
    with pytest.raises(NotAllowed) as refused:
        case_transition(
            case=case,
            name="refer_to_arbitration",
            actor=c.actor("merchant_staff"),
            data=cf.transition_data(c, "refer_to_arbitration"),
        )
    assert refused.value.code == "not_your_action"


def test_declined_referral_needs_fresh_consent_to_be_referred_again():
    c = cf.cast()
    case = cf.case_in(S.REFERRED, c)
    case = case_transition(
        case=case,
        name="arbitration_decline",
        actor=c.actor("arbitration_staff"),
        data={"reason": "不属于本会受理范围"},
    )
    assert case.state == S.MEDIATION_FAILED
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.arbitration_consented is False
    assert fresh.reason == "不属于本会受理范围"
    with pytest.raises(Conflict) as refused:
        case_transition(
            case=case,
            name="refer_to_arbitration",
            actor=c.actor("consumer"),
            data=cf.transition_data(c, "refer_to_arbitration"),
        )
    assert refused.value.code == "condition_not_met"


# --- Withdraw --------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(NON_TERMINAL_STATES))
def test_consumer_withdraws_from_every_non_terminal_state(state):
    c = cf.cast()
    case = cf.case_in(state, c)
    case = case_transition(
        case=case, name="withdraw", actor=c.actor("consumer"), data={"reason": "已自行解决"}
    )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == S.WITHDRAWN
    assert (fresh.outcome, fresh.reason) == ("withdrawn", "已自行解决")
    assert fresh.closed_at is not None
    assert not Deadline.objects.filter(case=case, status=Deadline.Status.RUNNING).exists()
    last = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (last.kind, last.from_state, last.to_state) == (
        "transition.withdraw",
        state,
        "withdrawn",
    )
    assert last.payload == {"reason": "已自行解决"}


@pytest.mark.parametrize("state", [S.CLOSED, S.REJECTED, S.WITHDRAWN])
def test_a_terminal_case_cannot_be_withdrawn(state):
    c = cf.cast()
    case = cf.case_in(state, c)
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        case_transition(case=case, name="withdraw", actor=c.actor("consumer"))
    assert refused.value.code == "illegal_transition"
    assert cf.snapshot(case) == before


# --- Settle in negotiation: only by accepting an offer ---------------------------------


@pytest.mark.parametrize("actor_kind", ["consumer", "merchant_staff"])
def test_settle_in_negotiation_goes_through_offers(actor_kind):
    c = cf.cast()
    case = cf.case_in(S.NEGOTIATION, c)
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        case_transition(case=case, name="settle", actor=c.actor(actor_kind), data=cf.terms())
    assert refused.value.code == "use_offers"
    assert cf.snapshot(case) == before
    assert "settle" not in [
        s.name for s in transitions_available(case=case, actor=c.actor(actor_kind))
    ]
    # The offer service takes the same transition, for the parties only.
    settled = case_transition(
        case=case, name="settle", actor=c.actor(actor_kind), data=cf.terms(), via_offer=True
    )
    assert settled.state == S.SETTLED


def test_settle_via_offer_is_still_refused_to_strangers():
    c = cf.cast()
    case = cf.case_in(S.NEGOTIATION, c)
    before = cf.snapshot(case)
    with pytest.raises(NotAllowed):
        case_transition(
            case=case, name="settle", actor=c.actor("regulator"), data=cf.terms(), via_offer=True
        )
    assert cf.snapshot(case) == before


# --- What each transition records and which clocks it moves ----------------------------


def _running(case) -> dict[str, dt.date]:
    return dict(
        Deadline.objects.filter(case=case, status=Deadline.Status.RUNNING).values_list(
            "clock", "due_on"
        )
    )


def test_routing_from_submitted_starts_the_right_clock():
    c = cf.cast()
    to_negotiation = cf.case_in(S.SUBMITTED, c)
    case_transition(case=to_negotiation, name="start_negotiation", actor=SYSTEM)
    assert set(_running(to_negotiation)) == {"negotiation_answer"}
    to_review = cf.case_in(S.SUBMITTED, c)
    case_transition(case=to_review, name="request_review", actor=SYSTEM)
    assert set(_running(to_review)) == {"acceptance_decision"}


def test_escalation_by_the_consumer_cancels_the_negotiation_clock_and_starts_review():
    c = cf.cast()
    case = cf.case_in(S.NEGOTIATION, c)
    case_transition(case=case, name="escalate", actor=c.actor("consumer"), data={})
    assert set(_running(case)) == {"acceptance_decision"}
    negotiation_clock = Deadline.objects.get(case=case, clock="negotiation_answer")
    assert negotiation_clock.status == Deadline.Status.CANCELLED


def test_accept_assigns_the_mediator_and_starts_the_mediation_limit():
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    case_transition(
        case=case, name="accept", actor=c.actor("regulator"), data={"mediator": str(c.mediator.pk)}
    )
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.mediator_id == c.mediator.pk
    assert fresh.mediation_organisation_id == c.organisation.pk
    # And the window to ask for the mediator's recusal (SAMR form 7).
    assert set(_running(case)) == {"mediation_limit", "recusal_window"}
    assert Deadline.objects.get(case=case, clock="acceptance_decision").status == "met"
    # Order 121: 60 days from acceptance, moved past days off (test_clocks checks dates).
    started = CaseEvent.objects.filter(
        case=case, kind="deadline.started", payload__clock="mediation_limit"
    ).last()
    assert started.payload["due_on"] == add_calendar_days(cf.today(), 60).date.isoformat()


def test_reject_records_the_ground_and_ends_every_clock():
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    case_transition(
        case=case,
        name="reject",
        actor=c.actor("regulator"),
        data={"ground": "limitation", "reason": "超过三年"},
    )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.ground, fresh.reason, fresh.outcome) == (
        "rejected",
        "limitation",
        "超过三年",
        "rejected",
    )
    assert fresh.closed_at is not None
    assert _running(case) == {}
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.kind, event.ground, event.payload) == (
        "transition.reject",
        "limitation",
        {"ground": "limitation", "reason": "超过三年"},
    )


def test_terminate_records_a_termination_ground():
    c = cf.cast()
    case = cf.case_in(S.MEDIATION, c)
    case_transition(
        case=case,
        name="terminate",
        actor=c.actor("mediator"),
        data={"ground": "absent_or_refused", "reason": "商家拒不到场"},
    )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.ground) == ("mediation_failed", "absent_or_refused")
    assert Deadline.objects.get(case=case, clock="mediation_limit").status == "met"


def test_referral_starts_the_arbitration_bodys_five_day_clock():
    c = cf.cast()
    case = cf.case_in(S.REFERRED, c)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.arbitration_body_id == c.body.pk
    # The notice that mediation ended is still to be delivered (no signing key in this test).
    assert set(_running(case)) == {"arbitration_acceptance", "termination_notice"}


@pytest.mark.parametrize("name", ["reach_agreement", "record_award", "settle"])
def test_agreements_and_awards_start_the_performance_clock(name):
    c = cf.cast()
    source, actor_kind = {
        "reach_agreement": (S.MEDIATION, "mediator"),
        "record_award": (S.ARBITRATING, "arbitration_staff"),
        "settle": (S.ARBITRATING, "arbitration_staff"),
    }[name]
    case = cf.case_in(source, c)
    due = cf.today() + dt.timedelta(days=7)
    case_transition(case=case, name=name, actor=c.actor(actor_kind), data=cf.terms())
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.settlement_terms == {"description": "退款199元", "amount": "199.00"}
    assert fresh.performance_due_on == due
    assert _running(case) == {"performance": due}


@pytest.mark.parametrize(
    ("name", "outcome"), [("confirm_performance", "performed"), ("report_breach", "breached")]
)
@pytest.mark.parametrize("source", [S.SETTLED, S.AWARDED])
def test_performance_is_confirmed_or_reported_by_the_consumer(name, outcome, source):
    c = cf.cast()
    case = cf.case_in(source, c)
    case_transition(
        case=case, name=name, actor=c.actor("consumer"), data=cf.transition_data(c, name)
    )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.outcome) == ("closed", outcome)
    assert fresh.closed_at is not None
    assert _running(case) == {}
    # Confirmed in time: met; reported not done: the act never came, the clock passed.
    expected = "met" if name == "confirm_performance" else "expired"
    assert Deadline.objects.get(case=case, clock="performance").status == expected


def test_close_after_failed_mediation_records_the_outcome():
    c = cf.cast()
    case = cf.case_in(S.MEDIATION_FAILED, c)
    case_transition(case=case, name="close", actor=c.actor("regulator"), data={})
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.outcome) == ("closed", "mediation_failed")


# --- Bad fields: 400 naming the field, nothing changed ---------------------------------


@pytest.mark.parametrize(
    ("state", "actor_kind", "name", "data", "field"),
    [
        (S.REVIEW, "regulator", "accept", {}, "mediator"),
        (S.REVIEW, "regulator", "accept", {"mediator": "999999"}, "mediator"),
        (S.REVIEW, "regulator", "accept", {"mediator": "abc"}, "mediator"),
        (S.REVIEW, "regulator", "reject", {"reason": "x"}, "ground"),
        (S.REVIEW, "regulator", "reject", {"ground": "limitation"}, "reason"),
        # A termination ground is not a refusal ground.
        (
            S.REVIEW,
            "regulator",
            "reject",
            {"ground": "agreement_impossible", "reason": "x"},
            "ground",
        ),
        (S.REVIEW, "regulator", "reject", {"ground": "limitation", "reason": "x" * 4001}, "reason"),
        (
            S.MEDIATION,
            "mediator",
            "terminate",
            {"ground": "outside_remit", "reason": "x"},
            "ground",
        ),
        (S.MEDIATION, "mediator", "reach_agreement", {"description": "x"}, "performance_due_on"),
        (
            S.MEDIATION,
            "mediator",
            "reach_agreement",
            {"description": "x", "performance_due_on": "2026-13-01"},
            "performance_due_on",
        ),
        (S.MEDIATION, "mediator", "reach_agreement", {**cf.terms(), "amount": "-1"}, "amount"),
        (S.MEDIATION, "mediator", "reach_agreement", {**cf.terms(), "amount": "NaN"}, "amount"),
        (S.MEDIATION, "mediator", "reach_agreement", {**cf.terms(), "amount": "1e12"}, "amount"),
        (S.MEDIATION, "mediator", "reach_agreement", {**cf.terms(), "amount": [1]}, "amount"),
        (S.MEDIATION_FAILED, "consumer", "refer_to_arbitration", {"body": "0"}, "body"),
        (S.REFERRED, "arbitration_staff", "arbitration_decline", {}, "reason"),
        (S.SETTLED, "consumer", "report_breach", {"reason": "  "}, "reason"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(state, actor_kind, name, data, field):
    c = cf.cast()
    case = cf.case_in(state, c)
    before = cf.snapshot(case)
    with pytest.raises(DomainError) as refused:
        case_transition(case=case, name=name, actor=c.actor(actor_kind), data=data)
    assert (refused.value.status, refused.value.code) == (400, "invalid")
    assert field in refused.value.fields
    assert cf.snapshot(case) == before


def test_accept_refuses_a_mediator_outside_the_cases_region():
    c = cf.cast()
    far = af.mediator(af.MediationOrganisationFactory(division_code="350100"))
    case = cf.case_in(S.REVIEW, c)
    with pytest.raises(DomainError) as refused:
        case_transition(
            case=case, name="accept", actor=c.actor("regulator"), data={"mediator": str(far.pk)}
        )
    assert "mediator" in refused.value.fields
    assert Case.objects.get(pk=case.pk).state == S.REVIEW


# --- Through the API -------------------------------------------------------------------


def _url(case) -> str:
    return f"/api/v1/cases/{case.reference}/transitions/"


def _post(client, case, body, **extra):
    return client.post(_url(case), body, content_type="application/json", **extra)


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(t["name"] for t in response.json())


def test_api_regulator_sees_accept_with_mediators_and_reject_with_grounds(client):
    c = cf.cast()
    far = af.mediator(af.MediationOrganisationFactory(division_code="350100"))
    case = cf.case_in(S.REVIEW, c)
    af.login(client, c.regulator)
    response = client.get(_url(case))
    assert _names(response) == ["accept", "reject"]
    by_name = {t["name"]: t for t in response.json()}
    (mediator_field,) = by_name["accept"]["fields"]
    assert (mediator_field["name"], mediator_field["type"], mediator_field["required"]) == (
        "mediator",
        "choice",
        True,
    )
    values = {choice["value"] for choice in mediator_field["choices"]}
    assert values == {str(c.mediator.pk), str(c.other_mediator.pk)}
    assert str(far.pk) not in values
    ground, reason = by_name["reject"]["fields"]
    assert (ground["name"], ground["type"], ground["required"]) == ("ground", "choice", True)
    assert [g["value"] for g in ground["choices"]] == [g.code for g in ORDER_121.refusal_grounds]
    assert len(ground["choices"]) == 7
    assert (reason["name"], reason["type"], reason["required"]) == ("reason", "text", True)
    assert "choices" not in reason


def test_api_grounds_follow_the_cases_rule_set(client):
    c = cf.cast()
    unenrolled = af.MerchantFactory()
    case = cf.submit(consumer=c.consumer, merchant=unenrolled, now=cf.at(2026, 4, 14))
    assert (case.state, case.ruleset) == ("review", "samr-order-20")
    af.login(client, c.regulator)
    by_name = {t["name"]: t for t in client.get(_url(case)).json()}
    ground = by_name["reject"]["fields"][0]
    assert [g["value"] for g in ground["choices"]] == [g.code for g in ORDER_20.refusal_grounds]
    assert len(ground["choices"]) == 6


def test_api_mediator_sees_termination_grounds(client):
    c = cf.cast()
    case = cf.case_in(S.MEDIATION, c)
    af.login(client, c.mediator)
    response = client.get(_url(case))
    assert _names(response) == ["reach_agreement", "terminate"]
    terminate = next(t for t in response.json() if t["name"] == "terminate")
    # "No agreement within the limit" is offered only once the limit has passed.
    assert [g["value"] for g in terminate["fields"][0]["choices"]] == [
        g.code for g in ORDER_121.termination_grounds if g.code != "time_limit"
    ]
    reach = next(t for t in response.json() if t["name"] == "reach_agreement")
    assert [(f["name"], f["type"], f["required"]) for f in reach["fields"]] == [
        ("description", "text", True),
        ("amount", "decimal", False),
        ("performance_due_on", "date", True),
    ]


@pytest.mark.parametrize(
    ("state", "actor_kind", "expected"),
    [
        (S.NEGOTIATION, "consumer", ["escalate", "withdraw"]),
        (S.NEGOTIATION, "merchant_staff", []),
        (S.NEGOTIATION, "regulator", []),
        (S.REVIEW, "consumer", ["withdraw"]),
        (S.REVIEW, "merchant_staff", []),
        (S.REVIEW, "admin", ["accept", "reject"]),
        (S.MEDIATION, "regulator", []),
        (S.MEDIATION_FAILED, "consumer", ["close", "refer_to_arbitration", "withdraw"]),
        (S.MEDIATION_FAILED, "mediator", ["close", "refer_to_arbitration"]),
        (S.MEDIATION_FAILED, "regulator", ["close"]),
        (S.REFERRED, "arbitration_staff", ["arbitration_accept", "arbitration_decline"]),
        (S.REFERRED, "consumer", ["withdraw"]),
        (S.ARBITRATING, "arbitration_staff", ["settle"]),
        (S.SETTLED, "consumer", ["confirm_performance", "report_breach", "withdraw"]),
        (S.SETTLED, "merchant_staff", []),
        (S.AWARDED, "consumer", ["confirm_performance", "report_breach", "withdraw"]),
        (S.CLOSED, "consumer", []),
        (S.REJECTED, "regulator", []),
    ],
)
def test_api_lists_exactly_the_transitions_open_to_the_caller(client, state, actor_kind, expected):
    c = cf.cast()
    case = cf.case_in(state, c)
    af.login(client, getattr(c, actor_kind))
    assert _names(client.get(_url(case))) == expected


def test_api_without_consent_the_consumer_is_not_offered_referral(client):
    c = cf.cast()
    case = cf.case_in(S.MEDIATION_FAILED, c, consented=False)
    af.login(client, c.consumer)
    assert _names(client.get(_url(case))) == ["close", "withdraw"]


@pytest.mark.parametrize(
    "actor_kind", ["other_consumer", "other_merchant_staff", "other_regulator"]
)
def test_api_strangers_cannot_list_transitions(client, actor_kind):
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    af.login(client, getattr(c, actor_kind))
    response = client.get(_url(case))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_your_case"


def test_api_post_allowed_transition_answers_the_case(client):
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    af.login(client, c.regulator)
    response = _post(client, case, {"name": "accept", "mediator": str(c.mediator.pk)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["reference"], body["state"]) == (case.reference, "mediation")
    running = {d["clock"] for d in body["deadlines"] if d["status"] == "running"}
    assert running == {"mediation_limit", "recusal_window"}
    assert Case.objects.get(pk=case.pk).state == "mediation"
    assert CaseEvent.objects.filter(case=case, kind="transition.accept").count() == 1


def test_api_consumer_withdraws(client):
    c = cf.cast()
    case = cf.case_in(S.NEGOTIATION, c)
    af.login(client, c.consumer)
    response = _post(client, case, {"name": "withdraw", "reason": "不想投诉了"})
    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"
    assert response.json()["outcome"] == "withdrawn"


@pytest.mark.parametrize(
    ("state", "actor_kind", "body", "status", "code"),
    [
        # A party, but not their action.
        (S.NEGOTIATION, "merchant_staff", {"name": "escalate"}, 403, "not_your_action"),
        (S.NEGOTIATION, "merchant_staff", {"name": "withdraw"}, 403, "not_your_action"),
        (
            S.REVIEW,
            "consumer",
            {"name": "reject", "ground": "other", "reason": "x"},
            403,
            "not_your_action",
        ),
        # Not a party at all.
        (S.REVIEW, "other_consumer", {"name": "withdraw"}, 403, "not_your_case"),
        (
            S.REVIEW,
            "other_regulator",
            {"name": "reject", "ground": "other", "reason": "x"},
            403,
            "not_your_case",
        ),
        (S.REVIEW, "other_merchant_staff", {"name": "withdraw"}, 403, "not_your_case"),
        (S.REVIEW, "other_mediator", {"name": "withdraw"}, 403, "not_your_case"),
        # The wrong state.
        (
            S.NEGOTIATION,
            "regulator",
            {"name": "accept", "mediator": "1"},
            409,
            "illegal_transition",
        ),
        (S.CLOSED, "consumer", {"name": "withdraw"}, 409, "illegal_transition"),
        (
            S.MEDIATION_FAILED,
            "consumer",
            {"name": "confirm_performance"},
            409,
            "illegal_transition",
        ),
        # Bad input.
        (S.REVIEW, "regulator", {"name": "accept"}, 400, "invalid"),
        (S.REVIEW, "regulator", {"name": "frobnicate"}, 400, "unknown_transition"),
        (S.REVIEW, "regulator", {"mediator": "1"}, 400, "invalid"),
        (S.REVIEW, "regulator", {"name": ["accept"]}, 400, "invalid"),
        (S.REVIEW, "regulator", ["accept"], 400, "invalid"),
        (S.REVIEW, "regulator", {"name": "x" * 41}, 400, "invalid"),
    ],
)
def test_api_refusals_use_the_error_envelope_and_change_nothing(
    client, state, actor_kind, body, status, code
):
    c = cf.cast()
    case = cf.case_in(state, c)
    before = cf.snapshot(case)
    af.login(client, getattr(c, actor_kind))
    response = _post(client, case, body)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert cf.snapshot(case) == before


def test_api_missing_field_names_it(client):
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    af.login(client, c.regulator)
    response = _post(client, case, {"name": "reject", "ground": "nonsense"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"ground", "reason"}


def test_api_non_json_body_is_a_400(client):
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    before = cf.snapshot(case)
    af.login(client, c.regulator)
    response = client.post(_url(case), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert cf.snapshot(case) == before


def test_api_unknown_case_is_404(client):
    c = cf.cast()
    af.login(client, c.regulator)
    response = client.post(
        "/api/v1/cases/LY-2026-999999/transitions/",
        {"name": "accept"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_anonymous_is_refused(client):
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    response = _post(client, case, {"name": "withdraw"})
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"
    assert Case.objects.get(pk=case.pk).state == "review"


def test_api_settle_in_negotiation_is_a_409_use_offers(client):
    """DESIGN.md: 409 for an illegal transition; the service says Conflict('use_offers')."""
    c = cf.cast()
    case = cf.case_in(S.NEGOTIATION, c)
    before = cf.snapshot(case)
    af.login(client, c.consumer)
    response = _post(client, case, {"name": "settle", **cf.terms()})
    assert response.json()["error"]["code"] == "use_offers"
    assert cf.snapshot(case) == before
    assert response.status_code == 409


def test_api_a_nul_byte_in_a_reason_is_a_400(client):
    c = cf.cast()
    case = cf.case_in(S.NEGOTIATION, c)
    before = cf.snapshot(case)
    af.login(client, c.consumer)
    response = _post(client, case, {"name": "withdraw", "reason": "不想\x00投诉了"})
    assert cf.snapshot(case) == before
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["reason"]


TERMS_BY = [
    (S.MEDIATION, "mediator", "reach_agreement"),
    (S.ARBITRATING, "arbitration_staff", "record_award"),
    (S.ARBITRATING, "arbitration_staff", "settle"),
]


@pytest.mark.parametrize("due", [-1, 366, "2001-01-01", "9999-12-31"])
@pytest.mark.parametrize(("state", "actor_kind", "name"), TERMS_BY)
def test_a_performance_date_out_of_range_is_refused(state, actor_kind, name, due):
    """Due in the past is overdue at once; due in 9999 would cost every sweep millions of days."""
    c = cf.cast()
    case = cf.case_in(state, c)
    before = cf.snapshot(case)
    if isinstance(due, int):
        due = (cf.today() + dt.timedelta(days=due)).isoformat()
    with pytest.raises(DomainError) as refused:
        case_transition(
            case=case,
            name=name,
            actor=c.actor(actor_kind),
            data=cf.terms(performance_due_on=due),
        )
    assert list(refused.value.fields) == ["performance_due_on"]
    assert cf.snapshot(case) == before


@pytest.mark.parametrize("days", [0, 365])
def test_a_performance_date_from_today_to_a_year_ahead_is_accepted(days):
    c = cf.cast()
    case = cf.case_in(S.MEDIATION, c)
    due = cf.today() + dt.timedelta(days=days)
    case_transition(
        case=case,
        name="reach_agreement",
        actor=c.actor("mediator"),
        data=cf.terms(performance_due_on=due.isoformat()),
    )
    assert Case.objects.get(pk=case.pk).performance_due_on == due


def test_an_award_is_not_recorded_through_the_transitions_endpoint(client):
    """It needs the award PDF and its terms: the arbitration app records it (the portal or
    its API); here it is neither offered nor taken."""
    c = cf.cast()
    case = cf.case_in(S.ARBITRATING, c)
    before = cf.snapshot(case)
    af.login(client, c.arbitration_staff)
    assert "record_award" not in _names(client.get(_url(case)))
    response = _post(client, case, {"name": "record_award", **cf.terms()})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "use_arbitration"
    assert cf.snapshot(case) == before
    # A stranger still learns nothing about the case: the access check comes first.
    af.login(client, c.other_consumer)
    assert _post(client, case, {"name": "record_award", **cf.terms()}).status_code in (403, 404)


def test_no_mediation_agreement_while_the_merchant_is_not_on_the_platform(client):
    """The merchant confirms an agreement with an SMS code: without a linked platform
    record nobody could, and the agreement would wait for ever. Refused, saying why."""
    c = cf.cast()
    case = cf.case_in(S.MEDIATION, c)
    Case.objects.filter(pk=case.pk).update(merchant=None)
    case.refresh_from_db()
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        case_transition(case=case, name="reach_agreement", actor=c.mediator, data=cf.terms())
    assert refused.value.code == "condition_not_met"
    message = str(refused.value)
    assert "regulator" in message or "监管" in message, message
    assert cf.snapshot(case) == before
    af.login(client, c.mediator)
    assert "reach_agreement" not in _names(client.get(_url(case)))
    assert "terminate" in _names(client.get(_url(case)))

"""What happens next on a case, as its page tells the person reading it.

One panel at the top of every case page says who must act now, by when, and holds the one
thing the reader should do next (the primary action). It is worked out here from what the
page already has (state, the reader's case roles, the running deadlines, the offers, the
documents and the transitions the reader may take) so that the page, its live refresh and
the tests share one answer.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, CaseRole, State
from cases.selectors import DeadlineRow
from odr.next_steps import asked_of

# The transitions that cannot be undone, and what the page asks before taking them.
IRREVERSIBLE = {
    "confirm_performance": gettext_lazy("Confirming closes the case: it cannot be reopened."),
    "withdraw": gettext_lazy("Withdrawing ends the complaint: it cannot be reopened."),
    "reject": gettext_lazy("Refusing ends the complaint: the consumer is told the ground."),
    "terminate": gettext_lazy("Ending mediation without agreement cannot be undone."),
    "close": gettext_lazy("Closing ends the case: it cannot be reopened."),
    "report_breach": gettext_lazy("The report goes on the merchant's credit file."),
    "arbitration_decline": gettext_lazy("The case goes back to the regulator."),
}
DECLINE_CONFIRM = gettext_lazy("Decline this offer? You can still make a counter-offer.")

# Per state, the transitions a reader may take in the order the panel prefers them.
_PREFERRED = {
    State.SUBMITTED: ("start_negotiation", "request_review"),
    State.REVIEW: ("accept", "reject"),
    State.MEDIATION: ("reach_agreement",),
    State.MEDIATION_FAILED: ("close",),
    State.REFERRED: ("arbitration_accept", "arbitration_decline"),
    State.SETTLED: ("confirm_performance",),
    State.AWARDED: ("confirm_performance",),
}
# What a party may still do after a settlement or an award is to see it carried out:
# withdrawing then would only lose the agreement, so the page does not offer it.
NOT_OFFERED = {State.SETTLED: ("withdraw",), State.AWARDED: ("withdraw",)}


@dataclass(frozen=True)
class Primary:
    label: str
    href: str
    # The id of the disclosure on this page that the link opens (a transition's form, the
    # new-offer form); "" for a link elsewhere.
    opens: str = ""
    # A data- attribute that pages and tests find the link by (mediation-room, arbitration).
    marker: str = ""


@dataclass(frozen=True)
class NextStep:
    text: str  # what happens now, in plain words
    mine: bool  # the reader is the one who must act
    deadline: DeadlineRow | None = None
    primary: Primary | None = None
    note: str = ""


def _party(roles: set[str]) -> str:
    if CaseRole.CONSUMER in roles:
        return CaseRole.CONSUMER
    if CaseRole.MERCHANT in roles:
        return CaseRole.MERCHANT
    return ""


def _running(rows: list[DeadlineRow], clock: str) -> DeadlineRow | None:
    return next((r for r in rows if r.deadline.clock == clock), None)


def _action(case: Case, actions: list, state: str) -> Primary | None:
    names = [a["spec"].name for a in actions]
    for name in _PREFERRED.get(state, ()):
        if name in names:
            spec = next(a["spec"] for a in actions if a["spec"].name == name)
            return Primary(str(spec.label), f"#action-{name}", opens=f"action-{name}")
    return None


def _procedure_step(case: Case, roles: set[str], running: list[DeadlineRow], user):
    """Proof of identity asked of the complainant (SAMR form 4), its consequence offered to
    the office once the time has passed, and a request for recusal waiting for the office."""
    from cases.services import identity, recusal

    if case.state not in (State.REVIEW, State.MEDIATION):
        return None
    clock = _running(running, identity.CLOCK)
    if CaseRole.CONSUMER in roles and identity.identity_open_request(case=case) is not None:
        return NextStep(
            _(
                "The office asks you for proof of identity. Send it by the date below, or "
                "the complaint may be refused."
            ),
            True,
            clock,
            Primary(_("Send the proof of identity"), "#identity-form"),
        )
    staff = roles & {CaseRole.REGULATOR, CaseRole.MEDIATOR, CaseRole.ADMIN}
    offered = identity.identity_consequence(case=case) if staff else None
    if offered is not None and CaseRole.REGULATOR in roles and offered.transition == "reject":
        return NextStep(
            _(
                "No proof of identity came in time. You may refuse the complaint on that "
                "ground, or accept it: the decision is yours."
            ),
            True,
            clock,
            Primary(_("Refuse the complaint"), "#action-reject", opens="action-reject"),
        )
    if offered is not None and CaseRole.MEDIATOR in roles:
        return NextStep(
            _(
                "No proof of identity came in time. You may end mediation because a ground "
                "for refusal was found after acceptance."
            ),
            True,
            clock,
            Primary(_("End mediation"), "#action-terminate", opens="action-terminate"),
        )
    pending = recusal.recusal_pending(case=case)
    if pending is not None and CaseRole.REGULATOR in roles and pending.mediator_id != user.pk:
        return NextStep(
            _(
                "A party asks that the mediator step aside. Grant it with another mediator, or refuse it with reasons."
            ),
            True,
            None,
            Primary(_("Decide on the recusal"), "#recusal-decision-form"),
        )
    return None


def next_step(
    *,
    case: Case,
    roles: set[str],
    running: list[DeadlineRow],
    actions: list,
    offer_rows: list,
    user,
) -> NextStep:
    """Who must act now, by when, and the reader's one next action."""
    party = _party(roles)
    state = case.state
    ref = case.reference
    action = _action(case, actions, state)
    asked = asked_of(case, user)
    if asked is not None:
        return NextStep(
            asked.text,
            True,
            _running(running, asked.clock) if asked.clock else None,
            Primary(asked.label, asked.href),
        )
    procedure = _procedure_step(case, roles, running, user)
    if procedure is not None:
        return procedure
    if state == State.SUBMITTED:
        if action is not None:
            return NextStep(_("Choose how the complaint goes on."), True, None, action)
        return NextStep(_("The complaint has been filed. We are passing it on."), False)
    if state == State.NEGOTIATION:
        clock = _running(running, "negotiation_answer")
        decidable = next((r for r in offer_rows if r["decidable"]), None)
        if decidable is not None:
            return NextStep(
                _(
                    "The other side has made an offer. Accept it, decline it or make a "
                    "counter-offer before it expires."
                ),
                True,
                clock,
                Primary(_("Answer the offer"), f"#offer-{decidable['offer'].pk}"),
                note=_("Valid until %(day)s.") % {"day": decidable["offer"].valid_until},
            )
        waiting_mine = any(
            r["mine"] and r["offer"].status == "open" and not r["lapsed"] for r in offer_rows
        )
        if party == CaseRole.MERCHANT and not waiting_mine:
            return NextStep(
                _("The consumer is waiting for your answer. Make an offer or write to them."),
                True,
                clock,
                Primary(_("Make an offer"), "#new-offer", opens="new-offer"),
            )
        if party:
            return NextStep(
                _(
                    "Waiting for the other side's answer. If the merchant does not answer in "
                    "time, the complaint goes to the regulator."
                ),
                False,
                clock,
                Primary(_("Write a message"), "#message-form"),
            )
        return NextStep(_("The consumer and the merchant are negotiating."), False, clock)
    if state == State.REVIEW:
        clock = _running(running, "acceptance_decision")
        if action is not None:
            return NextStep(_("Decide whether to accept the complaint."), True, clock, action)
        return NextStep(
            _("The market regulator is deciding whether to accept the complaint."), False, clock
        )
    if state == State.MEDIATION:
        clock = _running(running, "mediation_limit")
        room = Primary(
            _("Open the mediation room"),
            reverse("mediation:room", args=[ref]),
            marker="mediation-room",
        )
        if CaseRole.MEDIATOR in roles:
            return NextStep(_("Mediate between the parties."), True, clock, room)
        return NextStep(
            _("A mediator is helping the two sides reach an agreement."),
            bool(party),
            clock,
            room if (party or roles & {CaseRole.REGULATOR, CaseRole.ADMIN}) else None,
        )
    if state == State.MEDIATION_FAILED:
        arbitration = Primary(
            _("Arbitration"), reverse("arbitration:case", args=[ref]), marker="arbitration"
        )
        if party:
            return NextStep(
                _(
                    "Mediation ended without agreement. You may agree with the other side to "
                    "go to arbitration, or go to court."
                ),
                True,
                None,
                arbitration,
            )
        return NextStep(
            _("Mediation ended without agreement. The parties may agree to arbitration."),
            False,
            _running(running, "termination_notice"),
            action or arbitration,
        )
    if state == State.REFERRED:
        clock = _running(running, "arbitration_acceptance")
        if action is not None:
            return NextStep(_("Decide whether to accept the referral."), True, clock, action)
        return NextStep(
            _("The arbitration body is deciding whether to accept the case."), False, clock
        )
    if state == State.ARBITRATING:
        return NextStep(_("The arbitration body is handling the case."), False)
    if state in (State.SETTLED, State.AWARDED):
        clock = _running(running, "performance")
        if party == CaseRole.MERCHANT:
            return NextStep(_("Carry out what was agreed by the due date."), True, clock)
        if party == CaseRole.CONSUMER:
            return NextStep(
                _(
                    "When the merchant has done what was agreed, confirm it here. If it is not "
                    "done in time, report it."
                ),
                True,
                clock,
                action,
            )
        return NextStep(_("The merchant is to carry out what was agreed."), False, clock)
    # Closed, refused or withdrawn.
    if party == CaseRole.CONSUMER:
        return NextStep(
            _("The case has ended."),
            False,
            None,
            Primary(
                _("Rate the handling of your complaint"),
                reverse("supervision:rate", args=[ref]),
            ),
        )
    return NextStep(_("The case has ended."), False)

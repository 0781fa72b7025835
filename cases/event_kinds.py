"""Every kind of event a case's log holds, declared once with what it means.

A reader of the log (the regulator's dashboard, the mediation rooms, the case page's
timeline, the API) asks this table, never the event's fields, whether an event changed the
case's state: an action that changes no state (cases/services/actions.py) appends an event
too. ``timeline`` says who sees an event of the kind on the case page (an event appended as
staff-only is hidden from the parties whatever its kind; ``"none"`` hides the kind from
everyone, for bookkeeping such as a reminder already told by a notice).

A kind that appears in ``event_append`` anywhere in the code must be declared here
(cases/tests/test_event_kinds.py reads the code and checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

Timeline = Literal["parties", "staff", "none"]


@dataclass(frozen=True, slots=True)
class EventKind:
    key: str
    meaning: str  # for the engineer reading the log
    label: Any = ""  # what the case page's timeline calls it (gettext)
    changes_state: bool = False
    timeline: Timeline = "parties"


def _transitions() -> list[EventKind]:
    from cases.services.transitions import SPECS

    return [
        EventKind(
            f"transition.{name}", f"the case moved: {name}", label=spec.label, changes_state=True
        )
        for name, spec in SPECS.items()
    ]


_DECLARED = [
    EventKind(
        "case.submitted",
        "the complaint was submitted",
        label=_("Complaint filed"),
        changes_state=True,
    ),
    EventKind(
        "case.merchant_linked",
        "the merchant was linked to its platform record",
        label=_("Merchant record linked"),
    ),
    EventKind(
        "case.report_linked",
        "the complaint was also filed as a report of a suspected violation (the reports "
        "app); payload report (its reference). Appended staff-only: the merchant is never "
        "told of a report",
        label=_("Also reported as a suspected violation"),
        timeline="staff",
    ),
    EventKind(
        "case.termination_notice_delivered",
        "the parties were sent the notice that mediation ended (action)",
        label=_("Notice that mediation has ended sent"),
    ),
    EventKind(
        "case.consent_changed",
        "the consumer changed an answer of the registration (action): publication or "
        "delegated mediation; payload question, answer, previous",
        label=_("Choice about publication or mediation changed"),
    ),
    EventKind(
        "case.transferred",
        "a regulator transferred the case to the competent office (action; 转办); the "
        "receiving office's acceptance clock restarts; payload from_office, to_office (codes "
        "and names), reason, reason_text, back_and_forth",
        label=_("Transferred to another office"),
    ),
    EventKind(
        "identity.requested",
        "the office asked the complainant for proof of identity by a date (action; SAMR "
        "form 4); payload request, materials, due_on",
        label=_("Proof of identity requested"),
    ),
    EventKind(
        "identity.provided",
        "the complainant uploaded proof of identity (action); the files are staff-only; "
        "payload request, proofs",
        label=_("Proof of identity provided"),
    ),
    EventKind(
        "recusal.requested",
        "a party asked for the mediator's recusal (action); payload request, ground, "
        "reason, mediator",
        label=_("Recusal of the mediator requested"),
    ),
    EventKind(
        "recusal.granted",
        "the office granted a recusal (action); the next event assigns the new mediator; "
        "payload request, reason, mediator, new_mediator",
        label=_("Recusal granted"),
    ),
    EventKind(
        "recusal.refused",
        "the office refused a recusal (action); payload request, reason",
        label=_("Recusal refused"),
    ),
    EventKind(
        "mediation.mediator_assigned",
        "another mediator was assigned after a granted recusal (action; issues a new "
        "mediation notice, form 7); payload mediator, replaces, request",
        label=_("New mediator assigned"),
    ),
    EventKind(
        "negotiation.merchant_answered",
        "the merchant's first answer (action)",
        label=_("Merchant answered"),
    ),
    EventKind("offer.made", "a party made an offer", label=_("Offer made")),
    EventKind("offer.rejected", "a party declined an offer", label=_("Offer declined")),
    EventKind("message.posted", "a message in a room", label=_("Message")),
    EventKind("evidence.added", "evidence was added", label=_("Evidence added")),
    EventKind("note.staff", "a staff note", label=_("Staff note"), timeline="staff"),
    EventKind("deadline.started", "a clock started", label=_("Deadline set")),
    EventKind("deadline.reminder", "a clock is about to pass", label=_("Deadline reminder")),
    EventKind(
        "deadline.overdue",
        "a clock passed without the act; it keeps running",
        label=_("Deadline passed"),
    ),
    EventKind(
        "deadline.expired",
        "a clock passed and the sweep acted on it",
        label=_("Deadline passed, acted on"),
    ),
    EventKind(
        "deadline.moved",
        "a clock's date moved with the calendar",
        label=_("Deadline moved with the holiday schedule"),
    ),
    EventKind(
        "document.drafted",
        "a document was drafted",
        label=_("Document drafted for confirmation"),
        timeline="staff",
    ),
    EventKind("document.issued", "a signed document was issued", label=_("Document issued")),
    EventKind("document.confirmed", "a party confirmed a document", label=_("Document confirmed")),
    EventKind("document.revoked", "a document was revoked", label=_("Document revoked")),
    EventKind(
        "document.correction_requested",
        "a party asked for a correction",
        label=_("Correction of a document requested"),
    ),
    EventKind("document.ready", "a document is ready", label=_("Document ready")),
    EventKind(
        "mediation.session_scheduled",
        "a mediation session was scheduled",
        label=_("Session scheduled"),
    ),
    EventKind(
        "mediation.session_reminder",
        "a mediation session is about to start",
        label=_("Mediation session reminder"),
    ),
    EventKind(
        "mediation.terms_proposed",
        "the mediator proposed terms",
        label=_("Terms proposed"),
    ),
    EventKind(
        "mediation.terms_accepted",
        "a party accepted the proposed terms",
        label=_("Terms accepted"),
    ),
    EventKind(
        "mediation.party_muted",
        "the mediator muted a party",
        label=_("A party was muted"),
        timeline="staff",
    ),
    EventKind(
        "mediation.party_unmuted",
        "the mediator unmuted a party",
        label=_("A party may speak again"),
        timeline="staff",
    ),
    EventKind(
        "mediation.caucus_started",
        "the mediator opened a private room",
        label=_("Private conversation started"),
    ),
    EventKind(
        "mediation.caucus_ended",
        "the mediator closed a private room",
        label=_("Private conversation ended"),
    ),
    EventKind(
        "arbitration.agreement_proposed",
        "an arbitration agreement was proposed",
        label=_("Arbitration agreement proposed"),
    ),
    EventKind(
        "arbitration.referral_delivered",
        "the referral file reached the body",
        label=_("Referral file delivered to the arbitration body"),
    ),
    EventKind(
        "arbitration.acknowledged",
        "the body acknowledged the referral",
        label=_("Arbitration body acknowledged receipt"),
    ),
    EventKind(
        "arbitration.info_requested",
        "the body asked for more information",
        label=_("Arbitration body asked for more information"),
    ),
    EventKind("arbitration.award_filed", "the body filed its award", label=_("Award PDF filed")),
    # Group complaints (groups/): each act of a group is appended to every member case it
    # concerns; payload group (its reference) and member (the case's number in it).
    EventKind(
        "group.member_added",
        "the office linked the case into a group complaint; payload title",
        label=_("Linked into a group complaint"),
    ),
    EventKind(
        "group.member_joined",
        "the consumer joined a group complaint when filing",
        label=_("Joined a group complaint"),
    ),
    EventKind(
        "group.member_removed",
        "the office took the case out of its group; it goes on alone; payload reason",
        label=_("Taken out of the group complaint"),
    ),
    EventKind(
        "group.member_left",
        "the consumer objected and left the group; the case goes on alone; payload reason",
        label=_("Left the group complaint"),
    ),
    EventKind(
        "group.nominated",
        "the consumer nominated a representative of the group; payload nominee",
        label=_("Representative nominated"),
    ),
    EventKind(
        "group.representatives_confirmed",
        "the office confirmed the group's representatives; payload representatives (numbers)",
        label=_("Representatives of the group confirmed"),
    ),
    EventKind(
        "group.merchant_answered",
        "the merchant's one answer to the group; payload body",
        label=_("Merchant answered the group"),
    ),
    EventKind(
        "group.evidence_added",
        "evidence was given to the group, shown on every member case; payload evidence, sha256",
        label=_("Evidence added to the group"),
    ),
    EventKind(
        "group.terms_proposed",
        "the mediator put the group's terms to the member; payload agreement, description, "
        "amount (this member's), performance_due_on",
        label=_("Group terms proposed"),
    ),
    EventKind(
        "group.terms_accepted",
        "the consumer accepted the group's terms for this case; payload agreement",
        label=_("Group terms accepted"),
    ),
    EventKind(
        "group.closed",
        "the office closed the group; the case goes on alone",
        label=_("Group complaint closed"),
    ),
]

_KINDS: dict[str, EventKind] | None = None


def kinds() -> dict[str, EventKind]:
    """Every declared kind by key (transitions from their specs, the rest from above)."""
    global _KINDS
    if _KINDS is None:
        _KINDS = {k.key: k for k in [*_DECLARED, *_transitions()]}
    return _KINDS


def kind(key: str) -> EventKind | None:
    return kinds().get(key)


def state_changing() -> tuple[str, ...]:
    """The kinds whose events moved the case to another state."""
    return tuple(sorted(k.key for k in kinds().values() if k.changes_state))


def hidden_from_timeline(*, staff: bool) -> tuple[str, ...]:
    """The kinds the case page's timeline leaves out for staff, or for the parties."""
    hidden = ("none",) if staff else ("none", "staff")
    return tuple(sorted(k.key for k in kinds().values() if k.timeline in hidden))

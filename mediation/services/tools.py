"""The mediator's tools: sessions, muting a party, caucus, agreement terms, termination.

Each act locks the case, checks that the actor is the case's mediator (or, to accept
terms, a party) and that the case is in mediation, records the act as a case event and
as a system message in the joint room, and tells the sockets after commit. When both
parties have accepted the same terms the case takes ``reach_agreement`` through
``case_transition``, with the mediator as the actor, in the same transaction.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from cases import rooms
from cases.models import Case, CaseEvent, CaseRole, Offer, State, case_roles
from cases.services.events import event_append
from cases.services.transitions import case_transition
from mediation import selectors
from mediation.models import MediationSession, PartyStanding, Proposal, ProposalAcceptance
from mediation.services import broadcast
from mediation.services.chat import bilingual, system_message_post
from mediation.services.locking import case_lock
from odr.errors import Conflict, DomainError, NotAllowed

MAX_MUTE_MINUTES = 120
MAX_SESSION_DAYS_AHEAD = 90
MAX_TERMS = 4000
PARTY_NAMES = {
    CaseRole.CONSUMER: gettext_noop("the consumer"),
    CaseRole.MERCHANT: gettext_noop("the merchant"),
}


def _lock_as_mediator(case: Case, actor) -> Case:
    locked = case_lock(case.pk)
    if CaseRole.MEDIATOR not in case_roles(locked, actor):
        raise NotAllowed(_("Only the case's mediator may do this."), code="not_the_mediator")
    if locked.state != State.MEDIATION:
        raise Conflict(_("The case is not in mediation."), code="not_in_mediation")
    return locked


def _check_party(party: str) -> str:
    if party not in (CaseRole.CONSUMER, CaseRole.MERCHANT):
        raise DomainError(_("The party is the consumer or the merchant."), code="unknown_party")
    return party


def _party_text(message: str, party: str, **values) -> tuple[str, str]:
    """A system message naming a party, in both languages."""
    from django.utils import translation

    out = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out.append(_(message) % {"party": _(PARTY_NAMES[party]), **values})
    return out[0], out[1]


def _tell(case: Case, data: dict) -> None:
    case_id, mediator_id = case.pk, case.mediator_id
    transaction.on_commit(
        lambda: broadcast.case_update(case_id=case_id, data=data, mediator_id=mediator_id)
    )


def _standing_update(case: Case, party: str) -> None:
    standing = selectors.standings(case_id=case.pk)[party]
    _tell(case, {"type": "standing", **standing})


# --- Sessions -----------------------------------------------------------------------------


def session_schedule(
    *, case: Case, actor, starts_at: dt.datetime, duration_minutes: int = 60, note: str = ""
) -> MediationSession:
    """Schedule a live session; the event ``mediation.session_scheduled`` lets the
    notifications app tell and remind the parties."""
    now = timezone.now()
    if timezone.is_naive(starts_at):
        raise DomainError(_("Give the time with its time zone."), code="naive_time")
    if not now < starts_at <= now + dt.timedelta(days=MAX_SESSION_DAYS_AHEAD):
        raise DomainError(
            _("Choose a time from now to %(n)d days ahead.") % {"n": MAX_SESSION_DAYS_AHEAD},
            fields={"starts_at": [_("Not in the allowed range.")]},
        )
    if not 15 <= duration_minutes <= 480:
        raise DomainError(
            _("A session lasts 15 to 480 minutes."),
            fields={"duration_minutes": [_("15 to 480.")]},
        )
    with transaction.atomic():
        locked = _lock_as_mediator(case, actor)
        session = MediationSession.objects.create(
            case=locked,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            note=note.strip()[:300],
            scheduled_by=actor,
        )
        event_append(
            case=locked,
            kind="mediation.session_scheduled",
            actor=actor,
            actor_role=CaseRole.MEDIATOR,
            payload={
                "session": session.pk,
                "starts_at": starts_at.isoformat(),
                "duration_minutes": duration_minutes,
            },
            visibility=CaseEvent.Visibility.PARTIES,
        )
        when = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
        zh, en = bilingual(
            gettext_noop("The mediator scheduled a session for %(when)s (%(minutes)d minutes)."),
            when=when,
            minutes=duration_minutes,
        )
        system_message_post(case=locked, text_zh=zh, text_en=en, key=f"session:{session.pk}")
        _tell(locked, {"type": "session", **selectors.session_payload(session)})
    return session


# --- Muting and caucus ---------------------------------------------------------------------


def party_mute(*, case: Case, actor, party: str, minutes: int) -> PartyStanding:
    """Pause a party's messages in the joint room for a while (1 to 120 minutes)."""
    _check_party(party)
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MUTE_MINUTES:
        raise DomainError(
            _("Mute for 1 to %(n)d minutes.") % {"n": MAX_MUTE_MINUTES},
            fields={"minutes": [_("1 to %(n)d.") % {"n": MAX_MUTE_MINUTES}]},
        )
    with transaction.atomic():
        locked = _lock_as_mediator(case, actor)
        until = timezone.now() + dt.timedelta(minutes=minutes)
        standing, _created = PartyStanding.objects.update_or_create(
            case=locked, party=party, defaults={"muted_until": until}
        )
        event_append(
            case=locked,
            kind="mediation.party_muted",
            actor=actor,
            actor_role=CaseRole.MEDIATOR,
            payload={"party": party, "until": until.isoformat(), "minutes": minutes},
        )
        zh, en = _party_text(
            gettext_noop("The mediator paused the messages of %(party)s until %(time)s."),
            party,
            time=timezone.localtime(until).strftime("%H:%M"),
        )
        system_message_post(
            case=locked, text_zh=zh, text_en=en, key=f"mute:{party}:{until.timestamp():.0f}"
        )
        _standing_update(locked, party)
    return standing


def party_unmute(*, case: Case, actor, party: str) -> PartyStanding:
    _check_party(party)
    with transaction.atomic():
        locked = _lock_as_mediator(case, actor)
        standing, _created = PartyStanding.objects.update_or_create(
            case=locked, party=party, defaults={"muted_until": None}
        )
        event_append(
            case=locked,
            kind="mediation.party_unmuted",
            actor=actor,
            actor_role=CaseRole.MEDIATOR,
            payload={"party": party},
        )
        zh, en = _party_text(gettext_noop("The mediator let %(party)s speak again."), party)
        system_message_post(
            case=locked,
            text_zh=zh,
            text_en=en,
            key=f"unmute:{party}:{timezone.now().timestamp():.3f}",
        )
        _standing_update(locked, party)
    return standing


def party_to_caucus(*, case: Case, actor, party: str) -> PartyStanding:
    """Take a party into their private room with the mediator. The other side learns that
    a private conversation takes place, never what is said in it."""
    return _caucus(case=case, actor=actor, party=party, into=True)


def party_to_joint(*, case: Case, actor, party: str) -> PartyStanding:
    return _caucus(case=case, actor=actor, party=party, into=False)


def _caucus(*, case: Case, actor, party: str, into: bool) -> PartyStanding:
    _check_party(party)
    with transaction.atomic():
        locked = _lock_as_mediator(case, actor)
        standing, _created = PartyStanding.objects.get_or_create(case=locked, party=party)
        if standing.in_caucus == into:
            return standing
        standing.in_caucus = into
        standing.save(update_fields=["in_caucus", "updated_at"])
        event_append(
            case=locked,
            kind="mediation.caucus_started" if into else "mediation.caucus_ended",
            actor=actor,
            actor_role=CaseRole.MEDIATOR,
            payload={"party": party},
        )
        stamp = f"{timezone.now().timestamp():.3f}"
        if into:
            zh, en = _party_text(
                gettext_noop("The mediator is talking with %(party)s privately for a while."),
                party,
            )
            pzh, pen = bilingual(
                gettext_noop(
                    "The mediator asked you into this private room. The other side cannot "
                    "see what is said here."
                )
            )
        else:
            zh, en = _party_text(gettext_noop("%(party)s is back in the joint room."), party)
            pzh, pen = bilingual(gettext_noop("The mediator brought you back to the joint room."))
        system_message_post(case=locked, text_zh=zh, text_en=en, key=f"caucus:{party}:{stamp}")
        system_message_post(
            case=locked,
            text_zh=pzh,
            text_en=pen,
            key=f"caucus:{party}:{stamp}",
            room=rooms.PARTY_CAUCUS[party],
        )
        _standing_update(locked, party)
    return standing


# --- Agreement terms ------------------------------------------------------------------------


def proposal_make(
    *,
    case: Case,
    actor,
    kind: str,
    description: str,
    amount: Decimal | None = None,
    performance_days: int = 7,
) -> Proposal:
    """The mediator proposes terms (structured like an offer); earlier open terms lapse."""
    errors: dict[str, list[str]] = {}
    if kind not in Offer.Kind.values:
        errors["kind"] = [_("Choose refund, replacement, repair, compensation or other.")]
    text = (description or "").strip()
    if not text:
        errors["description"] = [_("Describe the terms.")]
    elif len(text) > MAX_TERMS or "\x00" in text:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_TERMS}]
    if amount is not None and (not amount.is_finite() or amount < 0 or amount >= Decimal("1e10")):
        errors["amount"] = [_("Enter an amount in yuan, like 199.00.")]
    if kind in (Offer.Kind.REFUND, Offer.Kind.COMPENSATION) and amount is None:
        errors["amount"] = [_("A refund or compensation needs an amount.")]
    if not isinstance(performance_days, int) or not 0 <= performance_days <= 90:
        errors["performance_days"] = [_("Between 0 and 90 days.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        locked = _lock_as_mediator(case, actor)
        Proposal.objects.filter(case=locked, status=Proposal.Status.OPEN).update(
            status=Proposal.Status.SUPERSEDED, decided_at=timezone.now()
        )
        proposal = Proposal.objects.create(
            case=locked,
            made_by=actor,
            kind=kind,
            amount=amount.quantize(Decimal("0.01")) if amount is not None else None,
            description=text,
            performance_days=performance_days,
        )
        event_append(
            case=locked,
            kind="mediation.terms_proposed",
            actor=actor,
            actor_role=CaseRole.MEDIATOR,
            payload=proposal.terms(),
        )
        amount_text = f" ¥{proposal.amount}" if proposal.amount is not None else ""
        zh, en = bilingual(
            gettext_noop(
                "The mediator proposes these terms: %(terms)s%(amount)s, to be carried out "
                "within %(days)d days. Each party may accept them in this room."
            ),
            terms=text,
            amount=amount_text,
            days=performance_days,
        )
        system_message_post(case=locked, text_zh=zh, text_en=en, key=f"terms:{proposal.pk}")
        _tell(locked, {"type": "proposal", **selectors.proposal_payload(proposal)})
    return proposal


def proposal_accept(*, case: Case, proposal_id: int, actor) -> Proposal:
    """A party accepts the open terms; when both have, the case reaches agreement."""
    with transaction.atomic():
        locked = case_lock(case.pk)
        roles = case_roles(locked, actor)
        party = next((p for p in (CaseRole.CONSUMER, CaseRole.MERCHANT) if p in roles), None)
        if party is None:
            raise NotAllowed(_("Only the parties accept terms."), code="not_a_party")
        if locked.state != State.MEDIATION:
            raise Conflict(_("The case is not in mediation."), code="not_in_mediation")
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id, case=locked).first()
        if proposal is None:
            raise DomainError(_("There are no such terms on this case."), code="unknown_terms")
        if proposal.status != Proposal.Status.OPEN:
            raise Conflict(_("These terms are no longer open."), code="terms_closed")
        _acceptance, created = ProposalAcceptance.objects.get_or_create(
            proposal=proposal, party=party, defaults={"user": actor}
        )
        if not created:
            return proposal
        event_append(
            case=locked,
            kind="mediation.terms_accepted",
            actor=actor,
            actor_role=party,
            payload={"proposal": proposal.pk, "party": party},
        )
        zh, en = _party_text(gettext_noop("%(party)s accepted the proposed terms."), party)
        system_message_post(
            case=locked, text_zh=zh, text_en=en, key=f"accept:{proposal.pk}:{party}"
        )
        parties = set(proposal.acceptances.values_list("party", flat=True))
        if parties >= {CaseRole.CONSUMER, CaseRole.MERCHANT}:
            _agree(locked, proposal)
        _tell(locked, {"type": "proposal", **selectors.proposal_payload(proposal)})
    return proposal


def _agree(case: Case, proposal: Proposal) -> None:
    """Both parties accepted: the mediator's agreement, through the one transition path."""
    mediator = User.objects.get(pk=case.mediator_id)
    due = timezone.localdate() + dt.timedelta(days=proposal.performance_days)
    case_transition(
        case=case,
        name="reach_agreement",
        actor=mediator,
        locked=True,
        data={
            "description": proposal.description,
            "amount": str(proposal.amount) if proposal.amount is not None else "",
            "performance_due_on": due.isoformat(),
        },
    )
    terms = {**proposal.terms(), "performance_due_on": due.isoformat()}
    Case.objects.filter(pk=case.pk).update(settlement_terms=terms)
    case.settlement_terms = terms
    proposal.status = Proposal.Status.AGREED
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])


def mediation_terminate(*, case: Case, actor, ground: str, reason: str) -> Case:
    """End mediation without agreement, on a ground of the case's rule set."""
    with transaction.atomic():
        locked = _lock_as_mediator(case, actor)
        Proposal.objects.filter(case=locked, status=Proposal.Status.OPEN).update(
            status=Proposal.Status.LAPSED, decided_at=timezone.now()
        )
        return case_transition(
            case=locked,
            name="terminate",
            actor=actor,
            locked=True,
            data={"ground": ground, "reason": reason},
        )

"""Reads for cases. ``access_case`` is the only way views, APIs and consumers get a case."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Merchant, Role, store_url_key
from cases.limitation import Limitation, limitation_of
from cases.models import (
    Case,
    CaseEvent,
    CaseRole,
    Consent,
    Deadline,
    Message,
    Offer,
    case_roles,
)
from odr.divisions import division_prefix
from odr.errors import NotAllowed, NotFound


class Action:
    VIEW = "view"
    NEGOTIATE = "negotiate"  # offers and negotiation messages
    UPLOAD = "upload"
    TRANSITION = "transition"
    CONSENTS = "consents"  # the consumer's answers of the registration, with their history


# The roles of the people who handle a case, not parties to it.
STAFF_ROLES = frozenset(
    {CaseRole.REGULATOR, CaseRole.MEDIATOR, CaseRole.ARBITRATION, CaseRole.ADMIN}
)

# Which case roles may do what. Transitions are further guarded per transition.
ACTION_ROLES = {
    Action.VIEW: {
        CaseRole.CONSUMER,
        CaseRole.MERCHANT,
        CaseRole.REGULATOR,
        CaseRole.MEDIATOR,
        CaseRole.ARBITRATION,
        CaseRole.ADMIN,
    },
    Action.NEGOTIATE: {CaseRole.CONSUMER, CaseRole.MERCHANT},
    Action.UPLOAD: {CaseRole.CONSUMER, CaseRole.MERCHANT, CaseRole.MEDIATOR},
    # The merchant sees what the answers decide (who mediates, what is public), not them.
    Action.CONSENTS: {CaseRole.CONSUMER, CaseRole.REGULATOR, CaseRole.MEDIATOR, CaseRole.ADMIN},
    Action.TRANSITION: {
        CaseRole.CONSUMER,
        CaseRole.MERCHANT,
        CaseRole.REGULATOR,
        CaseRole.MEDIATOR,
        CaseRole.ARBITRATION,
        CaseRole.ADMIN,
    },
}


CASE_PAGE_RELATED = ("merchant", "consumer", "mediator", "arbitration_body")
# What ``case_roles`` reads of a case: always loaded, whatever ``only`` asks for.
ACCESS_FIELDS = (
    "id",
    "reference",
    "state",
    "consumer",
    "merchant",
    "division_code",
    "office_code",
    "mediator",
    "arbitration_body",
)


def access_case(
    *,
    user,
    ref: str,
    action: str = Action.VIEW,
    related: tuple[str, ...] = CASE_PAGE_RELATED,
    only: tuple[str, ...] = (),
) -> Case:
    """The case with this reference if the user may do ``action`` on it.

    Unknown reference: NotFound. Known but not theirs: NotAllowed (403). ``related``: the
    relations loaded with it; ``only``: its columns, when not all (the pages show them all;
    a socket action reads a few, and compiling the other columns and relations was a third
    of its access check).
    """
    # select_related() with no names would follow every foreign key: none, then.
    query = Case.objects.select_related(*related) if related else Case.objects.all()
    if only:
        query = query.only(*only, *ACCESS_FIELDS)
    try:
        # get(), not first(): the reference is unique, and first() would add an ORDER BY
        # (and its compilation) to a look-up made on every socket action.
        case = query.get(reference=ref)
    except Case.DoesNotExist:
        raise NotFound(_("There is no case %(ref)s.") % {"ref": ref}) from None
    roles = case_roles(case, user)
    if not roles:
        raise NotAllowed(
            _("You are not a party to case %(ref)s.") % {"ref": ref}, code="not_your_case"
        )
    if not roles & ACTION_ROLES[action]:
        raise NotAllowed(_("Your role on this case does not allow this."), code="not_your_action")
    return case


def cases_visible_to(*, user) -> QuerySet[Case]:
    """Every case the user holds a role in (the list pages and GET /api/v1/cases/)."""
    if not user.is_authenticated:
        return Case.objects.none()
    condition = Q(consumer=user) | Q(mediator=user)
    for role in user.roles.all():
        if role.kind == Role.Kind.ADMINISTRATOR:
            return Case.objects.all()
        if role.kind == Role.Kind.MERCHANT_STAFF:
            condition |= Q(merchant_id=role.merchant_id)
        elif role.kind == Role.Kind.REGULATOR:
            condition |= Q(office_code__startswith=division_prefix(role.jurisdiction))
        elif role.kind == Role.Kind.ARBITRATION_STAFF:
            condition |= Q(arbitration_body_id=role.arbitration_body_id)
    return Case.objects.filter(condition).select_related("merchant")


def review_queue(*, user) -> QuerySet[Case]:
    """Cases awaiting a regulator's acceptance decision in the user's jurisdictions."""
    prefixes = [
        division_prefix(r.jurisdiction) for r in user.roles.filter(kind=Role.Kind.REGULATOR)
    ]
    if not prefixes:
        return Case.objects.none()
    condition = Q()
    for prefix in prefixes:
        condition |= Q(office_code__startswith=prefix)
    return with_transfer_marks(
        Case.objects.filter(condition, state="review")
        .select_related("merchant")
        .order_by("submitted_at")
    )


def case_timeline(*, case: Case, user) -> QuerySet[CaseEvent]:
    """The events this user is entitled to see: staff see staff notes, parties do not.

    Events about a caucus (their payload names the room) are shown only to those who may
    read that caucus (cases/rooms.py): the other side never learns what was said there.
    """
    from cases import event_kinds, rooms

    events = case.events.select_related("actor").order_by("seq")
    roles = case_roles(case, user)
    staff = {CaseRole.REGULATOR, CaseRole.MEDIATOR, CaseRole.ARBITRATION, CaseRole.ADMIN}
    is_staff = bool(roles & staff)
    if not is_staff:
        events = events.exclude(visibility=CaseEvent.Visibility.STAFF)
    hidden_kinds = event_kinds.hidden_from_timeline(staff=is_staff)
    if hidden_kinds:
        events = events.exclude(kind__in=hidden_kinds)
    hidden = rooms.caucus_rooms_hidden_from(roles)
    if hidden:
        # Written so that events without a room (a NULL key) are kept.
        events = events.exclude(Q(payload__has_key="room") & Q(payload__room__in=hidden))
    return events


def case_deadlines(*, case: Case) -> QuerySet[Deadline]:
    return case.deadlines.order_by("due_at")


def case_offers(*, case: Case) -> QuerySet[Offer]:
    return case.offers.select_related("made_by").order_by("created_at", "id")


def case_messages(*, case: Case, room: str, after_seq: int = 0) -> QuerySet[Message]:
    return case.messages.filter(room=room, seq__gt=after_seq).order_by("seq")


def merchant_search(*, q: str, limit: int = 20) -> QuerySet[Merchant]:
    """Find merchants by name, unified social credit code or store URL."""
    text = (q or "").strip()
    if not text:
        return Merchant.objects.none()
    key = store_url_key(text)
    condition = Q(name__icontains=text) | Q(uscc__iexact=text) | Q(uscc__istartswith=text)
    if len(key) >= 4:
        condition |= Q(stores__url_key__icontains=key)
    return Merchant.objects.filter(condition).distinct().prefetch_related("stores")[:limit]


def deadline_citation(*, deadline: Deadline) -> str:
    """The legal basis of a deadline, in the current language, as the parties read it."""
    from django.utils.translation import get_language

    from cases.rulesets import ruleset_by_key

    clock = ruleset_by_key(deadline.case.ruleset).clocks.get(deadline.clock)
    if clock is None:
        return ""
    return clock.citation_en if (get_language() or "").startswith("en") else clock.citation_zh


def _clock_unit(deadline: Deadline) -> str:
    from cases.rulesets import ruleset_by_key

    clock = ruleset_by_key(deadline.case.ruleset).clocks.get(deadline.clock)
    return clock.unit if clock is not None else "working_days"


def deadline_staff_note(*, deadline: Deadline) -> str:
    """What staff should know of a clock's legal text (still to be confirmed, say); never
    shown to the parties nor printed in a document."""
    from django.utils.translation import get_language

    from cases.rulesets import ruleset_by_key

    clock = ruleset_by_key(deadline.case.ruleset).clocks.get(deadline.clock)
    if clock is None:
        return ""
    return clock.note_en if (get_language() or "").startswith("en") else clock.note_zh


@dataclass(frozen=True)
class DeadlineRow:
    """One clock as the case page shows it: what is left, until when, on what basis."""

    deadline: Deadline
    citation: str
    staff_note: str
    working_days_left: int
    calendar_days_left: int
    due_at_local: dt.datetime
    latest_on: dt.date | None
    passed: bool
    # How the clock counts: working_days, calendar_days, years or agreed (a set date).
    unit: str = "working_days"


def deadline_rows(*, deadlines: list[Deadline], staff: bool, now=None) -> list[DeadlineRow]:
    """The case page's rows for these deadlines: time left counted as the clock counts
    (working days on the calendar; calendar days too), in Beijing time."""
    from odr.calendar import CHINA_TZ, working_days_between

    now = now or timezone.now()
    today = now.astimezone(CHINA_TZ).date()
    rows = []
    for d in deadlines:
        latest = d.latest_at.astimezone(CHINA_TZ).date() if d.latest_at else None
        running = d.status == Deadline.Status.RUNNING
        rows.append(
            DeadlineRow(
                deadline=d,
                citation=deadline_citation(deadline=d),
                staff_note=deadline_staff_note(deadline=d) if staff else "",
                working_days_left=max(0, working_days_between(today, d.due_on)) if running else 0,
                calendar_days_left=max(0, (d.due_on - today).days) if running else 0,
                due_at_local=d.due_at.astimezone(CHINA_TZ),
                latest_on=latest if d.provisional and latest and latest != d.due_on else None,
                passed=running and d.due_at < now,
                unit=_clock_unit(d),
            )
        )
    return rows


def case_consents(*, case: Case) -> list[Consent]:
    """Every answer the consumer gave to the registration's questions, oldest first."""
    return list(
        Consent.objects.filter(case=case).select_related("case").order_by("recorded_at", "id")
    )


def case_limitation(*, case: Case) -> Limitation:
    """The three-year limit the consumer's dates give on the day of filing, for the office
    to weigh (cases/limitation.py)."""
    from cases.rulesets import ruleset_by_key

    return limitation_of(
        ruleset=ruleset_by_key(case.ruleset),
        knew_of_harm_on=case.knew_of_harm_on,
        claimed_on=case.claimed_from_merchant_on,
        on=timezone.localdate(case.submitted_at),
    )


# --- Transfers (转办, cases/services/transfers.py) -----------------------------------------


def case_transfers(*, case: Case) -> list:
    """Every transfer of the case, oldest first."""
    from cases.models import CaseTransfer

    return list(CaseTransfer.objects.filter(case=case).order_by("transferred_at", "id"))


def with_transfer_marks(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with its last transfer into its present office (``incoming_from``, its
    ``incoming_reason`` and ``incoming_at``; None when it came by intake) and whether it
    has gone back and forth (``transfer_flagged``): for the review queue."""
    from django.db.models import Exists, OuterRef, Subquery

    from cases.models import CaseTransfer

    last_in = CaseTransfer.objects.filter(
        case=OuterRef("pk"), to_office=OuterRef("office_code")
    ).order_by("-transferred_at", "-id")
    return cases.annotate(
        incoming_from=Subquery(last_in.values("from_office")[:1]),
        incoming_reason=Subquery(last_in.values("reason")[:1]),
        incoming_at=Subquery(last_in.values("transferred_at")[:1]),
        transfer_flagged=Exists(
            CaseTransfer.objects.filter(case=OuterRef("pk"), back_and_forth=True)
        ),
    )

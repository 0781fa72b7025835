"""Reads for cases. ``access_case`` is the only way views, APIs and consumers get a case."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Merchant, Role, store_url_key
from cases.models import Case, CaseEvent, CaseRole, Deadline, Message, Offer, case_roles
from odr.divisions import division_prefix
from odr.errors import NotAllowed, NotFound


class Action:
    VIEW = "view"
    NEGOTIATE = "negotiate"  # offers and negotiation messages
    UPLOAD = "upload"
    TRANSITION = "transition"


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
            condition |= Q(division_code__startswith=division_prefix(role.jurisdiction))
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
        condition |= Q(division_code__startswith=prefix)
    return (
        Case.objects.filter(condition, state="review")
        .select_related("merchant")
        .order_by("submitted_at")
    )


def case_timeline(*, case: Case, user) -> QuerySet[CaseEvent]:
    """The events this user is entitled to see: staff see staff notes, parties do not.

    Events about a caucus (their payload names the room) are shown only to those who may
    read that caucus (cases/rooms.py): the other side never learns what was said there.
    """
    from cases import rooms

    events = case.events.select_related("actor").order_by("seq")
    roles = case_roles(case, user)
    staff = {CaseRole.REGULATOR, CaseRole.MEDIATOR, CaseRole.ARBITRATION, CaseRole.ADMIN}
    if not roles & staff:
        events = events.exclude(visibility=CaseEvent.Visibility.STAFF)
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
    """The legal basis of a deadline, in the current language."""
    from django.utils.translation import get_language

    from cases.rulesets import ruleset_by_key

    if deadline.clock == "performance":
        return _("The agreed terms")
    clock = ruleset_by_key(deadline.case.ruleset).clocks.get(deadline.clock)
    if clock is None:
        return ""
    if (get_language() or "").startswith("en"):
        return f"{clock.citation_en} ({clock.note_en})" if clock.note_en else clock.citation_en
    return f"{clock.citation_zh}（{clock.note_zh}）" if clock.note_zh else clock.citation_zh

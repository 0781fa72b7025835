"""The rooms of a case and which case roles may read and write each.

A room is where messages of a case are said (``Message.room``): ``negotiation`` between
consumer and merchant; in mediation the ``joint`` room (both parties and the mediator)
and one private caucus per party with the mediator (``caucus:consumer``,
``caucus:merchant``). What is said in a caucus is never shown to the other side, so every
edge that shows messages or message-related events (socket, history API, timeline,
transcript) asks this module, and only this module, who may read what.

Generic on purpose: ``cases`` knows the rooms because ``Message`` is its model; the
mediation app decides what happens in them.
"""

from django.utils.translation import gettext as _

from cases.models import CaseRole, State
from odr.errors import DomainError

NEGOTIATION = "negotiation"
JOINT = "joint"
CAUCUS_CONSUMER = "caucus:consumer"
CAUCUS_MERCHANT = "caucus:merchant"

ROOMS = (NEGOTIATION, JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT)
MEDIATION_ROOMS = (JOINT, CAUCUS_CONSUMER, CAUCUS_MERCHANT)
CAUCUS_ROOMS = (CAUCUS_CONSUMER, CAUCUS_MERCHANT)
# The party a caucus belongs to.
CAUCUS_PARTY = {CAUCUS_CONSUMER: CaseRole.CONSUMER, CAUCUS_MERCHANT: CaseRole.MERCHANT}
PARTY_CAUCUS = {party: room for room, party in CAUCUS_PARTY.items()}

# Officers who oversee a case (the regulator, the arbitration body the case file goes to,
# the administrator) read the negotiation and the joint room, never a caucus.
_OVERSIGHT = {CaseRole.REGULATOR, CaseRole.ARBITRATION, CaseRole.ADMIN}

READERS: dict[str, frozenset[str]] = {
    NEGOTIATION: frozenset({CaseRole.CONSUMER, CaseRole.MERCHANT, CaseRole.MEDIATOR} | _OVERSIGHT),
    JOINT: frozenset({CaseRole.CONSUMER, CaseRole.MERCHANT, CaseRole.MEDIATOR} | _OVERSIGHT),
    CAUCUS_CONSUMER: frozenset({CaseRole.CONSUMER, CaseRole.MEDIATOR}),
    CAUCUS_MERCHANT: frozenset({CaseRole.MERCHANT, CaseRole.MEDIATOR}),
}
WRITERS: dict[str, frozenset[str]] = {
    NEGOTIATION: frozenset({CaseRole.CONSUMER, CaseRole.MERCHANT}),
    JOINT: frozenset({CaseRole.CONSUMER, CaseRole.MERCHANT, CaseRole.MEDIATOR}),
    CAUCUS_CONSUMER: frozenset({CaseRole.CONSUMER, CaseRole.MEDIATOR}),
    CAUCUS_MERCHANT: frozenset({CaseRole.MERCHANT, CaseRole.MEDIATOR}),
}
# The states in which a room takes new messages.
OPEN_IN: dict[str, frozenset[str]] = {
    NEGOTIATION: frozenset({State.SUBMITTED, State.NEGOTIATION}),
    JOINT: frozenset({State.MEDIATION}),
    CAUCUS_CONSUMER: frozenset({State.MEDIATION}),
    CAUCUS_MERCHANT: frozenset({State.MEDIATION}),
}


def check_room(room: str) -> str:
    """The room name if it is one; otherwise a 400 naming the rooms there are."""
    if room not in ROOMS:
        raise DomainError(
            _("Unknown room. The rooms are: %(rooms)s.") % {"rooms": ", ".join(ROOMS)},
            code="unknown_room",
        )
    return room


def may_read(roles: set[str], room: str) -> bool:
    return bool(roles & READERS.get(room, frozenset()))


def may_write(roles: set[str], room: str) -> bool:
    return bool(roles & WRITERS.get(room, frozenset()))


def rooms_readable(roles: set[str]) -> list[str]:
    """The rooms these case roles may read, in a fixed order."""
    return [room for room in ROOMS if may_read(roles, room)]


def room_open(state: str, room: str) -> bool:
    return state in OPEN_IN.get(room, frozenset())


def writer_role(roles: set[str], room: str) -> str:
    """The role a message is signed with: the mediator speaks as mediator in every room."""
    for role in (CaseRole.MEDIATOR, CaseRole.CONSUMER, CaseRole.MERCHANT):
        if role in roles and role in WRITERS.get(room, frozenset()):
            return role
    return ""


def caucus_rooms_hidden_from(roles: set[str]) -> list[str]:
    """The caucus rooms whose messages and events these roles must never see."""
    return [room for room in CAUCUS_ROOMS if not may_read(roles, room)]


def group_slug(room: str) -> str:
    """The room as Channels allows in a group name (no colon)."""
    return room.replace(":", "-")

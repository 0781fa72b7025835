"""Reads for live mediation: messages as sockets and APIs show them, room state, the
mediator's console, the transcript.

Every function takes a case that the caller got through ``access_case`` and a room the
caller may read (``cases.rooms``); none of them decides who may read what.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from cases import rooms
from cases.models import Case, Deadline, Message, State
from mediation.models import (
    MediationSession,
    PartyStanding,
    Presence,
    Proposal,
    ReadMark,
    RoomFile,
    SystemText,
)

RESUME_PAGE = 200


def file_payload(room_file: RoomFile, reference: str) -> dict:
    return {
        "id": room_file.pk,
        "name": room_file.original_name,
        "kind": room_file.kind,
        "size": room_file.size,
        "sha256": room_file.sha256,
        "url": reverse("api-mediation-file", args=[reference, room_file.pk]),
    }


def system_text(message: Message) -> SystemText | None:
    """The two texts of a message from the service, if they were kept (not for messages
    posted before they were, nor for people's messages)."""
    if message.author_role != "system":
        return None
    try:
        return message.system_text
    except SystemText.DoesNotExist:
        return None


def message_body(message: Message, language: str | None = None) -> str:
    """The body in the reader's language (the active one unless given): a message from
    the service in that language, a person's message as they wrote it."""
    texts = system_text(message)
    if texts is None:
        return message.body
    return texts.text_in(language or get_language())


def message_payload(
    message: Message,
    *,
    reference: str,
    room_file: RoomFile | None = None,
    language: str | None = None,
    both_texts: bool = False,
) -> dict:
    """A message as every socket and the transcript show it, in the reader's language
    (the active one unless ``language`` is given). The body is plain text: whoever
    displays it escapes it (the client sets textContent, templates autoescape).

    ``both_texts``: a broadcast to readers of any language carries a service message's
    two texts as well; each socket picks its reader's (``payload_for_reader``)."""
    payload = {
        "room": message.room,
        "seq": message.seq,
        "author": message.author_id,
        "author_role": message.author_role,
        "system": message.author_role == "system",
        "body": message_body(message, language),
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "file": file_payload(room_file, reference) if room_file else None,
    }
    texts = system_text(message) if both_texts else None
    if texts is not None:
        payload["texts"] = {"zh-hans": texts.text_zh, "en": texts.text_en}
    return payload


def payload_for_reader(payload: dict, language: str | None) -> dict:
    """A broadcast message as one reader sees it: a service message in their language,
    without the other text."""
    texts = payload.get("texts")
    if not isinstance(texts, dict):
        return payload
    shown = {key: value for key, value in payload.items() if key != "texts"}
    english = (language or "").startswith("en")
    shown["body"] = texts.get("en" if english else "zh-hans") or payload.get("body", "")
    return shown


def messages_after(
    *, case: Case, room: str, after_seq: int, limit: int = RESUME_PAGE
) -> list[dict]:
    """The messages of a room after ``after_seq``, in order, with their files, in the
    reader's language (the active one)."""
    rows = list(
        Message.objects.filter(case=case, room=room, seq__gt=after_seq)
        .select_related("system_text")
        .order_by("seq")[:limit]
    )
    files = {f.message_id: f for f in RoomFile.objects.filter(message_id__in=[m.pk for m in rows])}
    return [message_payload(m, reference=case.reference, room_file=files.get(m.pk)) for m in rows]


def room_last_seqs(*, case_id: int, room_names: list[str]) -> dict[str, int]:
    found = dict(
        Message.objects.filter(case_id=case_id, room__in=room_names)
        .values_list("room")
        .annotate(last=Max("seq"))
        .values_list("room", "last")
    )
    return {room: found.get(room, 0) for room in room_names}


def read_marks(*, case_id: int, room_names: list[str]) -> list[dict]:
    return [
        {"room": room, "user": user, "seq": seq}
        for room, user, seq in ReadMark.objects.filter(
            case_id=case_id, room__in=room_names
        ).values_list("room", "user_id", "last_read_seq")
    ]


def online(*, case_id: int, now: dt.datetime | None = None) -> list[dict]:
    """Who has a live socket on the case (heartbeat not expired): one entry per user."""
    now = now or timezone.now()
    seen: dict[int, dict] = {}
    for user_id, role in (
        Presence.objects.filter(case_id=case_id, expires_at__gt=now)
        .order_by("connected_at")
        .values_list("user_id", "role")
    ):
        seen.setdefault(user_id, {"user": user_id, "role": role})
    return list(seen.values())


def standings(*, case_id: int) -> dict[str, dict]:
    now = timezone.now()
    result = {
        party: {"party": party, "muted_until": None, "in_caucus": False}
        for party in ("consumer", "merchant")
    }
    for s in PartyStanding.objects.filter(case_id=case_id):
        muted = s.muted_until if s.muted_until and s.muted_until > now else None
        result[s.party] = {
            "party": s.party,
            "muted_until": muted.isoformat() if muted else None,
            "in_caucus": s.in_caucus,
        }
    return result


def proposal_payload(proposal: Proposal) -> dict:
    return {
        **proposal.terms(),
        "status": proposal.status,
        "accepted_by": sorted(a.party for a in proposal.acceptances.all()),
        "created_at": proposal.created_at.isoformat(),
    }


def open_proposal(*, case_id: int) -> Proposal | None:
    return (
        Proposal.objects.filter(case_id=case_id, status=Proposal.Status.OPEN)
        .prefetch_related("acceptances")
        .first()
    )


def sessions(*, case_id: int) -> list[MediationSession]:
    return list(MediationSession.objects.filter(case_id=case_id).order_by("starts_at", "id"))


def session_payload(session: MediationSession) -> dict:
    return {
        "id": session.pk,
        "starts_at": session.starts_at.isoformat(),
        "duration_minutes": session.duration_minutes,
        "note": session.note,
    }


def room_state(*, case: Case, user, roles: set[str]) -> dict:
    """What a socket or page needs to start: the rooms this user reads and writes, their
    last numbers, read receipts, standings, the open terms, sessions and who is online."""
    readable = rooms.rooms_readable(roles)
    last = room_last_seqs(case_id=case.pk, room_names=readable)
    proposal = open_proposal(case_id=case.pk)
    return {
        "case": case.reference,
        "state": case.state,
        "me": {"user": user.pk, "roles": sorted(roles)},
        "rooms": [
            {
                "room": room,
                "write": rooms.may_write(roles, room) and rooms.room_open(case.state, room),
                "last_seq": last[room],
            }
            for room in readable
        ],
        "reads": read_marks(case_id=case.pk, room_names=readable),
        "standings": standings(case_id=case.pk),
        "proposal": proposal_payload(proposal) if proposal else None,
        "sessions": [session_payload(s) for s in sessions(case_id=case.pk)],
        "online": online(case_id=case.pk),
    }


# --- The mediator's console ---------------------------------------------------------------


@dataclass
class ConsoleRow:
    reference: str
    state: str
    merchant_name: str
    unread: dict[str, int] = field(default_factory=dict)
    deadline_due_on: str | None = None
    deadline_provisional: bool = False
    online: list[str] = field(default_factory=list)
    next_session: str | None = None

    def as_dict(self) -> dict:
        return {
            "reference": self.reference,
            "state": self.state,
            "merchant_name": self.merchant_name,
            "unread": self.unread,
            "unread_total": sum(self.unread.values()),
            "deadline_due_on": self.deadline_due_on,
            "deadline_provisional": self.deadline_provisional,
            "online": self.online,
            "next_session": self.next_session,
        }


def console_cases(*, mediator) -> list[ConsoleRow]:
    """The mediator's open cases (in mediation first), with unread counts per room, the
    running mediation deadline, who is online and the next scheduled session."""
    cases = list(
        Case.objects.filter(mediator=mediator)
        .exclude(state__in=[State.CLOSED, State.REJECTED, State.WITHDRAWN])
        .order_by("submitted_at", "id")
        .only("id", "reference", "state", "merchant_name")
    )
    cases.sort(key=lambda c: c.state != State.MEDIATION)
    ids = [c.pk for c in cases]
    last: dict[tuple[int, str], int] = {
        (case_id, room): seq
        for case_id, room, seq in Message.objects.filter(
            case_id__in=ids, room__in=rooms.MEDIATION_ROOMS
        )
        .values_list("case_id", "room")
        .annotate(last=Max("seq"))
        .values_list("case_id", "room", "last")
    }
    read: dict[tuple[int, str], int] = {
        (case_id, room): seq
        for case_id, room, seq in ReadMark.objects.filter(
            case_id__in=ids, user=mediator
        ).values_list("case_id", "room", "last_read_seq")
    }
    deadlines = {
        d.case_id: d
        for d in Deadline.objects.filter(
            case_id__in=ids, clock="mediation_limit", status=Deadline.Status.RUNNING
        )
    }
    now = timezone.now()
    present: dict[int, set[str]] = {}
    for case_id, role in Presence.objects.filter(case_id__in=ids, expires_at__gt=now).values_list(
        "case_id", "role"
    ):
        present.setdefault(case_id, set()).add(role)
    upcoming: dict[int, dt.datetime] = {}
    for case_id, starts_at in (
        MediationSession.objects.filter(case_id__in=ids, starts_at__gte=now)
        .order_by("starts_at")
        .values_list("case_id", "starts_at")
    ):
        upcoming.setdefault(case_id, starts_at)
    rows = []
    for case in cases:
        deadline = deadlines.get(case.pk)
        rows.append(
            ConsoleRow(
                reference=case.reference,
                state=case.state,
                merchant_name=case.merchant_name,
                unread={
                    room: max(0, last.get((case.pk, room), 0) - read.get((case.pk, room), 0))
                    for room in rooms.MEDIATION_ROOMS
                },
                deadline_due_on=deadline.due_on.isoformat() if deadline else None,
                deadline_provisional=bool(deadline and deadline.provisional),
                online=sorted(present.get(case.pk, set())),
                next_session=upcoming[case.pk].isoformat() if case.pk in upcoming else None,
            )
        )
    return rows


# --- The mediator's home page --------------------------------------------------------------


@dataclass(frozen=True)
class ClockLeft:
    """A case's mediation clock counted as the case page counts it
    (``cases.selectors.deadline_rows``): working days for a working-day clock."""

    deadline: Deadline
    unit: str
    working_days_left: int
    calendar_days_left: int
    passed: bool


@dataclass(frozen=True)
class HomeRow:
    case: Case
    last_activity: dt.datetime
    unread: int
    clock: ClockLeft | None


def mediator_home_cases(
    *, mediator, limit: int, now: dt.datetime | None = None
) -> tuple[list[HomeRow], bool]:
    """The mediator's live cases (in mediation), latest activity first: a message in one
    of the case's rooms or a change to the case. With the time left on the mediation
    clock and the messages this mediator has not read; a fixed number of queries however
    many cases. Also whether there are more than ``limit``."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce, Greatest

    from cases.rulesets import ruleset_by_key
    from odr.calendar import CHINA_TZ, working_days_left

    now = now or timezone.now()
    last_message = (
        Message.objects.filter(case=OuterRef("pk"), room__in=rooms.MEDIATION_ROOMS)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    cases = list(
        Case.objects.filter(mediator=mediator, state=State.MEDIATION)
        .annotate(
            last_activity=Greatest("updated_at", Coalesce(Subquery(last_message), "updated_at"))
        )
        .order_by("-last_activity", "-id")
        .only("id", "reference", "state", "ruleset", "complainant_name", "merchant_name")[
            : limit + 1
        ]
    )
    more = len(cases) > limit
    cases = cases[:limit]
    ids = [c.pk for c in cases]
    deadlines = {
        d.case_id: d
        for d in Deadline.objects.filter(
            case_id__in=ids, clock="mediation_limit", status=Deadline.Status.RUNNING
        )
    }
    last = {
        (case_id, room): seq
        for case_id, room, seq in Message.objects.filter(
            case_id__in=ids, room__in=rooms.MEDIATION_ROOMS
        )
        .values_list("case_id", "room")
        .annotate(last=Max("seq"))
        .values_list("case_id", "room", "last")
    }
    read = {
        (case_id, room): seq
        for case_id, room, seq in ReadMark.objects.filter(
            case_id__in=ids, user=mediator
        ).values_list("case_id", "room", "last_read_seq")
    }
    today = now.astimezone(CHINA_TZ).date()
    working = working_days_left(today, [d.due_on for d in deadlines.values()])
    rows = []
    for case in cases:
        deadline = deadlines.get(case.pk)
        clock = None
        if deadline is not None:
            declared = ruleset_by_key(case.ruleset).clocks.get(deadline.clock)
            clock = ClockLeft(
                deadline=deadline,
                unit=declared.unit if declared is not None else "working_days",
                working_days_left=working[deadline.due_on],
                calendar_days_left=max(0, (deadline.due_on - today).days),
                passed=deadline.due_at < now,
            )
        unread = sum(
            max(0, seq - read.get(key, 0)) for key, seq in last.items() if key[0] == case.pk
        )
        rows.append(
            HomeRow(case=case, last_activity=case.last_activity, unread=unread, clock=clock)
        )
    return rows, more


# --- The transcript -----------------------------------------------------------------------


def transcript(*, case: Case) -> dict:
    """The joint room as the case file keeps it, the service's messages in the reader's
    language (the active one; the hash is of what is shown). Caucus rooms are never part
    of it."""
    messages: list[dict] = []
    after = 0
    while True:
        page = messages_after(case=case, room=rooms.JOINT, after_seq=after, limit=1000)
        if not page:
            break
        messages.extend(page)
        after = page[-1]["seq"]
    for m in messages:
        m.pop("client_id", None)
    canonical = json.dumps(
        messages, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    return {
        "case": case.reference,
        "room": rooms.JOINT,
        "generated_at": timezone.now().isoformat(),
        "count": len(messages),
        "last_seq": messages[-1]["seq"] if messages else 0,
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "messages": messages,
    }

"""Messages in the mediation rooms: saved with the next number of their room, then
broadcast after the transaction commits; read receipts; files shared into a room.

A message the database did not accept is never delivered: the broadcast is scheduled with
``transaction.on_commit`` inside the transaction that inserts the row, so a rollback drops
it. A retried client id returns the message saved the first time.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import rooms
from cases.models import Case, CaseRole, Evidence, Message, case_roles
from cases.services.evidence import check_evidence_file, evidence_add
from mediation import selectors
from mediation.models import PartyStanding, ReadMark, RoomFile, SystemText
from mediation.services import broadcast
from mediation.services.locking import case_lock, write_lock_first
from odr.errors import Conflict, DomainError, NotAllowed, NotFound, RateLimited

logger = logging.getLogger(__name__)

MAX_BODY = 4000
MAX_CLIENT_ID = 64
PARTIES = (CaseRole.CONSUMER, CaseRole.MERCHANT)


def _rate_limit() -> tuple[int, float]:
    count = settings.MEDIATION_RATE_MESSAGES
    window = settings.MEDIATION_RATE_SECONDS
    return count, window


# Someone sending exactly one message a second sends 11 in 10.0 seconds, give or take the
# network's jitter: a grace of half a second keeps them clear of a limit meant for floods.
RATE_GRACE_SECONDS = 0.5


@dataclass(frozen=True)
class Sent:
    message: Message
    created: bool  # False: the client id had been saved before (a retry)


def check_body(body) -> str:
    """Plain text, 1 to 4,000 characters after trimming, no NUL."""
    if not isinstance(body, str):
        raise DomainError(_("A message is text."), code="invalid_body")
    text = body.strip()
    if not text:
        raise DomainError(_("Write a message first."), code="empty_message")
    if "\x00" in text:
        raise DomainError(_("Remove the NUL character."), code="invalid_body")
    if len(text) > MAX_BODY:
        raise DomainError(
            _("A message is at most %(n)d characters.") % {"n": MAX_BODY}, code="too_long"
        )
    return text


def check_client_id(client_id) -> str:
    if client_id in (None, ""):
        return ""
    if (
        not isinstance(client_id, str)
        or len(client_id) > MAX_CLIENT_ID
        or not client_id.isprintable()
        or client_id.startswith("sys:")
    ):
        raise DomainError(
            _("A client id is up to %(n)d printable characters.") % {"n": MAX_CLIENT_ID},
            code="invalid_client_id",
        )
    return client_id


def check_room_access(*, roles: set[str], room: str, write: bool) -> None:
    """Refuse a room the roles may not read (403 not_your_room) or write (403 read_only)."""
    rooms.check_room(room)
    if not rooms.may_read(roles, room):
        raise NotAllowed(_("This room is not yours."), code="not_your_room")
    if write and not rooms.may_write(roles, room):
        raise NotAllowed(_("You may read this room but not write in it."), code="read_only")


# --- The rate limit: more than N messages in the window from one user is refused. --------
#
# Counted when a message is about to be saved (after every other check, so a refused
# message costs nothing) and given back if it is not saved after all. On Redis, one
# script checks and counts in one round trip, atomically: two sockets of one user sending
# at once cannot both slip in under the limit. The embedded mode (one process, the local
# memory cache) counts under a lock.


def _rate_key(user_id: int) -> str:
    return f"mediation:rate:{user_id}"


# KEYS[1]: the user's sorted set of send times. ARGV: now, the start of the checked
# window, the start of the kept window, the limit, this send's member, the key's life in
# milliseconds. Answers nil when counted, else the oldest send in the checked window.
_RATE_SCRIPT = """
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[3])
local since = '(' .. ARGV[2]
if redis.call('ZCOUNT', key, since, '+inf') >= tonumber(ARGV[4]) then
  return redis.call('ZRANGEBYSCORE', key, since, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)[2]
end
redis.call('ZADD', key, ARGV[1], ARGV[5])
redis.call('PEXPIRE', key, ARGV[6])
return false
"""
_script = None
_local_lock = threading.Lock()


def _redis():
    """The raw client of the Redis cache, or None (the local memory cache)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def _too_fast(oldest: float, now: float) -> RateLimited:
    count, window = _rate_limit()
    wait = max(1, int(oldest + window - RATE_GRACE_SECONDS - now + 0.999))
    return RateLimited(
        _(
            "You are sending messages faster than the room allows (%(n)d in %(s)d "
            "seconds). Please wait %(wait)d seconds and send it again."
        )
        % {"n": count, "s": int(window), "wait": wait},
        code="too_fast",
        retry_after=wait,
    )


def rate_take(*, user_id: int) -> str | None:
    """Count one message of the user, or refuse it (429 too_fast) when they sent the
    limit's count within its window. Returns what ``rate_give_back`` takes back, or None
    when the cache is unreachable (Redis restarting): the limit then lets messages through
    rather than lose them."""
    global _script
    count, window = _rate_limit()
    now = time.time()
    member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
    client = _redis()
    key = cache.make_key(_rate_key(user_id)) if client else _rate_key(user_id)
    if client is None:
        with _local_lock:
            stored = [t for t in (cache.get(key) or []) if t[0] > now - window]
            recent = [t for t, _m in stored if t > now - (window - RATE_GRACE_SECONDS)]
            if len(recent) >= count:
                raise _too_fast(min(recent), now)
            cache.set(key, [*stored, (now, member)], timeout=int(window) + 1)
        return member
    try:
        if _script is None:
            _script = client.register_script(_RATE_SCRIPT)
        oldest = _script(
            keys=[key],
            args=[
                now,
                now - (window - RATE_GRACE_SECONDS),
                now - window,
                count,
                member,
                int((window + 1) * 1000),
            ],
            client=client,
        )
    except Exception:
        logger.warning("rate limit cache unreachable; not limiting for now")
        return None
    if oldest is not None:
        raise _too_fast(float(oldest), now)
    return member


def rate_check(*, user_id: int) -> None:
    """Refuse (429 too_fast) a user at the limit, without counting anything: a file is
    checked before it is stored, and counted with its message."""
    count, window = _rate_limit()
    now = time.time()
    since = now - (window - RATE_GRACE_SECONDS)
    client = _redis()
    key = cache.make_key(_rate_key(user_id)) if client else _rate_key(user_id)
    try:
        if client is None:
            recent = [t for t, _m in (cache.get(key) or []) if t > since]
        else:
            recent = [
                score
                for _m, score in client.zrangebyscore(key, f"({since}", "+inf", withscores=True)
            ]
    except Exception:
        logger.warning("rate limit cache unreachable; not limiting for now")
        return
    if len(recent) >= count:
        raise _too_fast(min(recent), now)


def rate_give_back(*, user_id: int, taken: str | None) -> None:
    """Uncount a message that was counted but not saved (the database refused it)."""
    if taken is None:
        return
    client = _redis()
    key = cache.make_key(_rate_key(user_id)) if client else _rate_key(user_id)
    try:
        if client is None:
            with _local_lock:
                cache.set(key, [t for t in (cache.get(key) or []) if t[1] != taken])
        else:
            client.zrem(key, taken)
    except Exception:
        logger.warning("rate limit cache unreachable; a message not saved stays counted")


# --- Saving and broadcasting -------------------------------------------------------------


def _next_seq(case: Case, room: str) -> int:
    """The next number of a room. The caller holds the case row lock."""
    last = Message.objects.filter(case=case, room=room).aggregate(m=Max("seq"))["m"]
    return _next_seq_after(last)


def _next_seq_after(last: int | None) -> int:
    return (last or 0) + 1


def _after_commit_broadcast(case: Case, message: Message, room_file: RoomFile | None) -> None:
    # With both texts of a service message: each socket shows its reader's
    # (selectors.payload_for_reader).
    payload = selectors.message_payload(
        message, reference=case.reference, room_file=room_file, both_texts=True
    )
    mediator_id = case.mediator_id
    transaction.on_commit(
        lambda: broadcast.message_posted(case_id=case.pk, mediator_id=mediator_id, payload=payload)
    )


def _check_standing(case: Case, role: str, room: str) -> None:
    if room != rooms.JOINT or role not in PARTIES:
        return
    standing = PartyStanding.objects.filter(case=case, party=role).first()
    if standing is None:
        return
    if standing.in_caucus:
        raise Conflict(
            _(
                "The mediator is speaking with you privately: write in your private room "
                "until the mediator brings you back to the joint room."
            ),
            code="in_caucus",
        )
    if standing.muted_until and standing.muted_until > timezone.now():
        until = timezone.localtime(standing.muted_until)
        raise Conflict(
            _("The mediator has paused your messages in the joint room until %(time)s.")
            % {"time": until.strftime("%H:%M")},
            code="muted",
        )


def message_send(
    *,
    case: Case,
    actor,
    room: str,
    body,
    client_id="",
    room_file: RoomFile | None = None,
) -> Sent:
    """Save a message in a mediation room and broadcast it after commit.

    Refused: an unknown room (400), a room the actor may not read or write (403), a
    closed room (409 room_closed), a muted party or one in caucus in the joint room (409),
    more than the rate limit (429). A client id saved before returns that message.
    """
    text = check_body(body)
    client_id = check_client_id(client_id)
    rooms.check_room(room)
    if room == rooms.NEGOTIATION:
        raise DomainError(
            _("Negotiation messages are sent on the case page."), code="negotiation_room"
        )
    roles = case_roles(case, actor)
    check_room_access(roles=roles, room=room, write=True)
    role = rooms.writer_role(roles, room)
    taken: list[str | None] = []
    committed: list[bool] = []
    try:
        with transaction.atomic():
            locked = case_lock(case.pk, "id", "state", "reference", "mediator_id")
            # One round trip for both: the room's last number, and the number of a message
            # this client id already saved (a retry).
            found = Message.objects.filter(case=locked, room=room).aggregate(
                last=Max("seq"),
                retry=Max(
                    "seq",
                    filter=Q(author=actor, client_id=client_id) if client_id else Q(pk=None),
                ),
            )
            if found["retry"] is not None:
                return Sent(Message.objects.get(case=locked, room=room, seq=found["retry"]), False)
            if not rooms.room_open(locked.state, room):
                raise Conflict(
                    _("This room is closed: the case is no longer in mediation."),
                    code="room_closed",
                )
            _check_standing(locked, role, room)
            taken.append(rate_take(user_id=actor.pk))
            message = Message.objects.create(
                case=locked,
                room=room,
                seq=_next_seq_after(found["last"]),
                author=actor,
                author_role=role,
                body=text,
                client_id=client_id,
            )
            if room_file is not None:
                RoomFile.objects.filter(pk=room_file.pk).update(message=message)
            transaction.on_commit(lambda: committed.append(True))  # before the broadcast's
            _after_commit_broadcast(locked, message, room_file)
    except BaseException:
        # Counted but not saved (the insert or the commit failed): not counted after all.
        # A caller's transaction that rolls back later (file_share) keeps the count, and
        # so does a saved message whose after-commit work failed.
        if taken and not committed:
            rate_give_back(user_id=actor.pk, taken=taken[0])
        raise
    return Sent(message, True)


def system_message_post(
    *, case: Case, text_zh: str, text_en: str, key: str, room: str = rooms.JOINT
):
    """A message from the service itself (state changes, deadlines, the mediator's acts).

    Both texts are kept (``SystemText``): every reader sees the one in their language;
    the message's body, the record, is in the case's language. ``key`` makes it
    idempotent: a handler run twice for the same event posts once. The caller may hold
    the case lock; if not, it is taken.
    """
    client_id = f"sys:{key}"[:MAX_CLIENT_ID]
    with transaction.atomic():
        locked = case_lock(case.pk, "id", "state", "reference", "mediator_id", "language")
        existing = Message.objects.filter(
            case=locked, room=room, author__isnull=True, client_id=client_id
        ).first()
        if existing is not None:
            return existing
        body = text_en if (locked.language or "").startswith("en") else text_zh
        message = Message.objects.create(
            case=locked,
            room=room,
            seq=_next_seq(locked, room),
            author=None,
            author_role="system",
            body=body[:MAX_BODY],
            client_id=client_id,
        )
        SystemText.objects.create(
            message=message, text_zh=text_zh[:MAX_BODY], text_en=text_en[:MAX_BODY]
        )
        _after_commit_broadcast(locked, message, None)
    return message


def bilingual(message: str, **values) -> tuple[str, str]:
    """A gettext message in Chinese and in English (each reader sees theirs)."""
    with translation.override("zh-hans"):
        zh = _(message) % values if values else _(message)
    with translation.override("en"):
        en = _(message) % values if values else _(message)
    return zh, en


# --- Read receipts ------------------------------------------------------------------------


def read_mark(*, case: Case, actor, room: str, seq: int) -> int:
    """Record that the actor has read the room up to ``seq``; it never goes back."""
    roles = case_roles(case, actor)
    check_room_access(roles=roles, room=room, write=False)
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise DomainError(_("seq is a whole number."), code="invalid_seq")
    last = selectors.room_last_seqs(case_id=case.pk, room_names=[room])[room]
    seq = min(seq, last)
    with transaction.atomic():
        write_lock_first()
        mark, created = ReadMark.objects.get_or_create(
            case=case, room=room, user=actor, defaults={"last_read_seq": seq}
        )
        moved = created or seq > mark.last_read_seq
        if not created and moved:
            ReadMark.objects.filter(pk=mark.pk, last_read_seq__lt=seq).update(
                last_read_seq=seq, updated_at=timezone.now()
            )
            mark.last_read_seq = seq
    if not moved:
        return mark.last_read_seq
    event = {
        "type": "room.read",
        "read": {"room": room, "user": actor.pk, "seq": mark.last_read_seq},
    }
    mediator_id = case.mediator_id
    transaction.on_commit(lambda: broadcast.send(broadcast.room_group(case.pk, room), event))
    if mediator_id == actor.pk:
        transaction.on_commit(
            lambda: broadcast.console_refresh(mediator_id=mediator_id, case_id=case.pk)
        )
    return mark.last_read_seq


# --- Files shared into a room -------------------------------------------------------------


def file_share(
    *,
    case: Case,
    actor,
    room: str,
    upload: UploadedFile | None = None,
    evidence: Evidence | None = None,
    description: str = "",
    client_id: str = "",
) -> Sent:
    """Share a file into a room: a new upload (checked as intake checks evidence) or
    evidence already on the case. In the joint room a new upload becomes case evidence;
    in a caucus it stays private to that caucus."""
    if (upload is None) == (evidence is None):
        raise DomainError(_("Send a file or name one of the case's evidence files."))
    roles = case_roles(case, actor)
    check_room_access(roles=roles, room=room, write=True)
    client_id = check_client_id(client_id)
    if room == rooms.NEGOTIATION:
        raise DomainError(
            _("Negotiation messages are sent on the case page."), code="negotiation_room"
        )
    if client_id and (
        existing := Message.objects.filter(
            case=case, room=room, author=actor, client_id=client_id
        ).first()
    ):
        return Sent(existing, False)
    rate_check(user_id=actor.pk)
    if not rooms.room_open(case.state, room):
        raise Conflict(
            _("This room is closed: the case is no longer in mediation."), code="room_closed"
        )
    _check_standing(case, rooms.writer_role(roles, room), room)
    with transaction.atomic():
        write_lock_first()
        if evidence is not None:
            if evidence.case_id != case.pk:
                raise NotFound(_("There is no such file on this case."))
            room_file = RoomFile.objects.create(
                case=case,
                room=room,
                uploaded_by=actor,
                evidence=evidence,
                kind=evidence.kind,
                original_name=evidence.original_name,
                size=evidence.size,
                sha256=evidence.sha256,
            )
        elif room == rooms.JOINT:
            added = evidence_add(
                uploaded_by=actor, upload=upload, case=case, description=description
            )
            room_file = RoomFile.objects.create(
                case=case,
                room=room,
                uploaded_by=actor,
                evidence=added,
                kind=added.kind,
                original_name=added.original_name,
                size=added.size,
                sha256=added.sha256,
            )
        else:
            already = RoomFile.objects.filter(case=case, room=room, evidence__isnull=True).count()
            kind, sha = check_evidence_file(upload, already=already)
            room_file = RoomFile(
                case=case,
                room=room,
                uploaded_by=actor,
                kind=kind,
                original_name=(upload.name or "file")[:255],
                size=upload.size or 0,
                sha256=sha,
            )
            room_file.file.save("upload", File(upload), save=False)
            room_file.save()
        label = room_file.original_name
        if description.strip():
            label = f"{label} — {description.strip()[:300]}"
        sent = message_send(
            case=case,
            actor=actor,
            room=room,
            body=label,
            client_id=client_id,
            room_file=room_file,
        )
        room_file.message = sent.message
    return sent

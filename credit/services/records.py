"""Case events into credit records: which event counts, as what, written exactly once.

``credit_records_for_event`` is an in-transaction handler (registered in apps.py): it runs
inside the transaction that appends the event, so a rolled-back transition leaves no
record, and it inserts with conflicts ignored against two unique constraints (one record
per event and kind; one record per case and kind), so running it twice for an event, or
retrying the transition, writes nothing more. ``records_for_event`` is the rule itself,
a pure function that the load generator uses too.

What counts (DESIGN.md, Credit file): the complaint once it is accepted or resolved, the
merchant's first answer in negotiation (and its speed) or its silence, settlement, the
merchant's refusal of or absence from mediation, performance on time or late, breach,
and an adverse award. What never counts and so never writes: refused and withdrawn
complaints, a termination the merchant is not to blame for, an award not against the
merchant, and any allegation without an outcome.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from cases.models import Case, CaseEvent, Deadline
from credit.deidentify import mask_name
from credit.models import CreditOutbox, CreditRecord, RecordKind
from credit.services.rollup import records_insert, rollup_mark_repaired

logger = logging.getLogger(__name__)

K = RecordKind
# The event kinds that may write records (the handler is registered for these only).
EVENT_KINDS = (
    "negotiation.merchant_answered",
    "transition.escalate",
    "transition.accept",
    "transition.settle",
    "transition.reach_agreement",
    "transition.terminate",
    "transition.close",
    "transition.record_award",
    "transition.confirm_performance",
    "transition.report_breach",
    "case.merchant_linked",
    # A clock's date moved with the calendar: a record judged on the old date is reversed.
    "deadline.moved",
)
# The records the merchant's first answer writes: one of them, judged by the answer clock.
_ANSWER_KINDS = (K.ANSWERED, K.ANSWERED_LATE)
# Termination grounds after which closing the case says nothing about the merchant: the
# parties settled or the consumer withdrew, a refusal ground turned up after acceptance
# (the complaint should never have counted), a party died or ceased to exist.
NEUTRAL_TERMINATION_GROUNDS = frozenset(
    {"withdrawn_or_settled", "refusal_ground_found", "party_ceased"}
)
ABSENCE_GROUND = "absent_or_refused"
MERCHANT, CONSUMER = "merchant", "consumer"
# Words that name a side in a mediator's reason (Chinese and English). "被投诉人" (the
# respondent) contains "投诉人" (the complainant), so it is taken out before looking for
# the consumer's side.
_MERCHANT_WORDS = ("被投诉人", "商家", "经营者", "卖家", "店家", "商户", "企业", "公司")
_MERCHANT_WORDS_EN = ("merchant", "trader", "seller", "respondent", "business", "shop")
_CONSUMER_WORDS = ("投诉人", "消费者", "买家", "申请人")
_CONSUMER_WORDS_EN = ("consumer", "complainant", "buyer", "customer")


@dataclass(frozen=True)
class RecordDraft:
    kind: str
    details: dict = field(default_factory=dict)
    response_seconds: int | None = None


def absent_party(payload: dict) -> str:
    """Whose refusal or absence ended mediation: 'merchant', 'consumer' or '' (unknown).

    An explicit ``party`` in the event (if the termination form ever asks for it) decides;
    otherwise the mediator's reason, if it names exactly one side. Unknown never counts.
    """
    for key in ("party", "absent_party"):
        value = str(payload.get(key) or "").strip().lower()
        if value in (MERCHANT, CONSUMER):
            return value
    reason = str(payload.get("reason") or "")
    lowered = reason.lower()
    merchant = any(w in reason for w in _MERCHANT_WORDS) or any(
        w in lowered for w in _MERCHANT_WORDS_EN
    )
    without_respondent = reason.replace("被投诉人", "")
    consumer = any(w in without_respondent for w in _CONSUMER_WORDS) or any(
        w in lowered for w in _CONSUMER_WORDS_EN
    )
    if merchant and not consumer:
        return MERCHANT
    if consumer and not merchant:
        return CONSUMER
    return ""


def award_is_adverse(payload: dict) -> bool:
    """An award counts against the merchant unless it says otherwise or awards nothing."""
    if payload.get("adverse") is False or payload.get("in_favour_of") == MERCHANT:
        return False
    amount = payload.get("amount")
    if amount in (None, ""):
        return True
    try:
        return Decimal(str(amount)) != 0
    except InvalidOperation:
        return True


def records_for_event(
    *,
    kind: str,
    actor_role: str,
    payload: dict,
    occurred_at: dt.datetime,
    case_ground: str = "",
    answer_started_at: dt.datetime | None = None,
    performance_due_at: dt.datetime | None = None,
    terminated_by_party: str = "",
) -> list[RecordDraft]:
    """The records one event writes, given what the handler looked up about its case."""
    payload = payload or {}
    if kind == "negotiation.merchant_answered":
        answered_at = _parse_time(payload.get("answered_at")) or occurred_at
        seconds = None
        if answer_started_at is not None:
            seconds = max(0, int((answered_at - answer_started_at).total_seconds()))
        # The answer clock's judgement (cases/services/actions.py puts it in the event).
        judged = (payload.get("clocks") or {}).get("negotiation_answer")
        on_time = payload.get("within_deadline") is not False and judged != "late"
        return [
            RecordDraft(
                K.ANSWERED if on_time else K.ANSWERED_LATE,
                {"within_deadline": on_time},
                seconds,
            )
        ]
    if kind == "transition.escalate":
        # Only the clock escalates as 'system': the merchant let the deadline pass.
        return [RecordDraft(K.ANSWER_MISSED)] if actor_role == "system" else []
    if kind == "transition.accept":
        return [RecordDraft(K.COMPLAINT), RecordDraft(K.ACCEPTED)]
    if kind in ("transition.settle", "transition.reach_agreement"):
        how = "negotiation" if kind == "transition.settle" else "mediation"
        if kind == "transition.settle" and actor_role == "arbitration":
            how = "arbitration"
        due = payload.get("performance_due_on") or ""
        return [RecordDraft(K.COMPLAINT), RecordDraft(K.RESOLVED, {"by": how, "due_on": due})]
    if kind == "transition.terminate":
        ground = payload.get("ground") or case_ground
        if ground == ABSENCE_GROUND and absent_party(payload) == MERCHANT:
            return [RecordDraft(K.REFUSAL_OR_ABSENCE, {"ground": ground})]
        return []
    if kind == "transition.close":
        if case_ground in NEUTRAL_TERMINATION_GROUNDS:
            return []
        if case_ground == ABSENCE_GROUND and terminated_by_party != MERCHANT:
            return []  # the consumer stayed away, or nobody can say who did
        return [RecordDraft(K.UNRESOLVED, {"by": "mediation_failed", "ground": case_ground})]
    if kind == "transition.record_award":
        if not award_is_adverse(payload):
            return []
        due = payload.get("performance_due_on") or ""
        return [
            RecordDraft(K.COMPLAINT),
            RecordDraft(K.UNRESOLVED, {"by": "award"}),
            RecordDraft(K.ADVERSE_AWARD, {"due_on": due}),
        ]
    if kind == "transition.confirm_performance":
        on_time = performance_due_at is None or occurred_at <= performance_due_at
        details = {"due_at": performance_due_at.isoformat() if performance_due_at else ""}
        return [RecordDraft(K.PERFORMED_ON_TIME if on_time else K.PERFORMED_LATE, details)]
    if kind == "transition.report_breach":
        details = {"due_at": performance_due_at.isoformat() if performance_due_at else ""}
        return [RecordDraft(K.BREACH, details)]
    return []


def _parse_time(value) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(23, 59, 59, 999999), tzinfo=timezone.get_default_timezone()
    )


def _context(event: CaseEvent, case: Case) -> dict:
    """What the rule needs to know beyond the event: at most one query, for some kinds."""
    context: dict = {"case_ground": case.ground}
    if event.kind == "negotiation.merchant_answered":
        started = (
            Deadline.objects.filter(case=case, clock="negotiation_answer")
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        context["answer_started_at"] = started or case.submitted_at
    elif event.kind in ("transition.confirm_performance", "transition.report_breach"):
        due_at = (
            Deadline.objects.filter(case=case, clock="performance")
            .order_by("-started_at")
            .values_list("due_at", flat=True)
            .first()
        )
        if due_at is None and case.performance_due_on:
            due_at = _end_of_day(case.performance_due_on)
        context["performance_due_at"] = due_at
    elif event.kind == "transition.close" and case.ground == ABSENCE_GROUND:
        terminated = (
            CaseEvent.objects.filter(case=case, kind="transition.terminate")
            .order_by("-seq")
            .values_list("payload", flat=True)
            .first()
        )
        context["terminated_by_party"] = absent_party(terminated or {})
    return context


def _rows(event: CaseEvent, case: Case, drafts: list[RecordDraft]) -> list[CreditRecord]:
    occurred_at = event.created_at
    day = timezone.localdate(occurred_at).toordinal()
    now = timezone.now()
    return [
        CreditRecord(
            merchant_id=case.merchant_id,
            case_id=case.pk,
            source_event_id=event.pk,
            kind=draft.kind,
            occurred_at=occurred_at,
            occurred_day=day,
            recorded_at=now,
            case_reference=case.reference,
            category=case.category,
            consumer=mask_name(case.complainant_name),
            division_code=case.division_code,
            details=draft.details,
            response_seconds=draft.response_seconds,
            published=case.agrees_to_publication,
        )
        for draft in drafts
    ]


def _drafts(event: CaseEvent, case: Case) -> list[RecordDraft]:
    return records_for_event(
        kind=event.kind,
        actor_role=event.actor_role,
        payload=event.payload,
        occurred_at=event.created_at,
        **_context(event, case),
    )


def credit_records_for_event(event: CaseEvent) -> None:
    """In-transaction handler: write the event's records (and their outbox rows) once."""
    case = event.case
    if case.merchant_id is None:
        return  # a merchant not on the platform has no file (until a regulator links it)
    if event.kind == "deadline.moved":
        _reverse(event, case)
        return
    if event.kind == "case.merchant_linked":
        rows = _replay(case)
    else:
        rows = _rows(event, case, _drafts(event, case))
    if not rows:
        return
    # The caller holds the case's row lock (event_append), so nobody else writes this
    # case's records meanwhile: what is not there yet is new. The unique constraints stay
    # the last word (a duplicate would fail the transaction, never count twice).
    seen = set(
        CreditRecord.objects.filter(case_id=case.pk, kind__in={r.kind for r in rows}).values_list(
            "kind", flat=True
        )
    )
    new = []
    for row in rows:
        if row.kind not in seen:
            seen.add(row.kind)
            new.append(row)
    records_insert(new)
    if new and settings.CREDIT_EXPORT_PUSH_URL:
        CreditOutbox.objects.bulk_create([CreditOutbox(record_id=r.pk) for r in _with_ids(new)])
    if event.kind == "case.merchant_linked" and (move := _latest_move(case)) is not None:
        # The answer was judged, in its event, on the date the clock had then; the clock
        # has moved since: the replayed record is reversed like any other.
        _reverse(move, case)


def _with_ids(records: list[CreditRecord]) -> list[CreditRecord]:
    """The inserted records with their ids (returned by the insert where the database can)."""
    if all(r.pk for r in records):
        return records
    keys = {(r.case_id, r.kind) for r in records}
    found = CreditRecord.objects.filter(
        case_id__in={k[0] for k in keys}, kind__in={k[1] for k in keys}, corrects__isnull=True
    )
    return [r for r in found if (r.case_id, r.kind) in keys]


def _replay(case: Case) -> list[CreditRecord]:
    """A complaint linked to a merchant afterwards: the records its earlier events owe."""
    rows: list[CreditRecord] = []
    earlier = CaseEvent.objects.filter(case=case, kind__in=EVENT_KINDS).exclude(
        kind="case.merchant_linked"
    )
    for past in earlier.order_by("seq"):
        past.case = case
        rows.extend(_rows(past, case, _drafts(past, case)))
    return rows


def credit_after_commit(event: CaseEvent) -> None:
    """After-commit handler: push new records and refresh the merchant's index snapshot."""
    from credit import tasks

    records = CreditRecord.objects.filter(case_id=event.case_id)
    if event.kind != "case.merchant_linked":
        records = records.filter(source_event_id=event.pk)
    written = list(records.values_list("merchant_id", "outbox__id"))
    if not written:
        return
    for _merchant_id, outbox_id in written:
        if outbox_id is not None:
            tasks.enqueue(tasks.push_record, outbox_id)
    for merchant_id in {m for m, _ in written}:
        tasks.enqueue(tasks.recompute_merchant, merchant_id)


def _judgement(payload: dict) -> tuple[tuple[str, ...], str | None] | None:
    """What the answer clock's status after a move says should count: the kinds it judges
    between, and the one of them that counts (None: none does). None when the move
    cannot have changed a judgement (a running clock, met or late both before and after).
    """
    status, before = payload.get("status"), payload.get("status_before")
    if status in ("met", "late") and before in ("met", "late") and status != before:
        return _ANSWER_KINDS, K.ANSWERED if status == "met" else K.ANSWERED_LATE
    if status == "expired":
        # Acted on before the date the clock now has: the escalation came too early and
        # the merchant missed nothing (yet). Otherwise the miss stands (again).
        return (K.ANSWER_MISSED,), None if payload.get("expired_early") else K.ANSWER_MISSED
    return None


def _reverse(event: CaseEvent, case: Case) -> None:
    """The answer clock's date moved: bring what counts in line with the new date's
    judgement by appending, never by editing.

    The record the old date gave is marked (it stays in the history and weighs nothing,
    as a repaired one) and a ``reversal`` pointing at it is appended, then the record the
    new date gives (``corrects`` the one it replaces), with the original answer time. A
    later move that gives back what an earlier one took away reverses that reversal.
    Nothing is edited but the mark. The latest move of the clock decides; an event that
    has written its records, or that a later move overtook, writes nothing more.
    """
    payload = event.payload or {}
    if payload.get("clock") != "negotiation_answer":
        return
    judged = _judgement(payload)
    if judged is None:
        return
    family, due = judged
    if CreditRecord.objects.filter(source_event_id=event.pk).exists():
        return  # done already (a second run, a replay)
    later = CaseEvent.objects.filter(
        case_id=case.pk,
        kind="deadline.moved",
        seq__gt=event.seq,
        payload__clock="negotiation_answer",
    )
    if later.exists():
        return  # overtaken: the latest move's judgement is the one that counts
    records = list(CreditRecord.objects.filter(case_id=case.pk, kind__in=family).order_by("-id"))
    if not records:
        return  # the clock's judgement wrote nothing (no answer recorded, no escalation)
    basis = records[0]  # the latest record of the judgement, counting or reversed
    counting = basis if basis.repaired_at is None else None
    if (counting.kind if counting else None) == due:
        return  # the judgement stands
    wrong = counting or (
        CreditRecord.objects.filter(
            repairs=basis, kind=K.REVERSAL, repaired_at__isnull=True
        ).first()
    )
    if wrong is None:
        return
    now = timezone.now()
    if not CreditRecord.objects.filter(pk=wrong.pk, repaired_at__isnull=True).update(
        repaired_at=now
    ):
        return
    rollup_mark_repaired(wrong)
    common = {
        "merchant_id": basis.merchant_id,
        "case_id": basis.case_id,
        "source_event_id": event.pk,
        "recorded_at": now,
        "case_reference": basis.case_reference,
        "category": basis.category,
        "consumer": basis.consumer,
        "division_code": basis.division_code,
        "published": case.agrees_to_publication,
    }
    moved = {
        "clock": "negotiation_answer",
        "from": payload.get("from"),
        "to": payload.get("due_on"),
    }
    new = [
        CreditRecord(
            **common,
            kind=K.REVERSAL,
            repairs=wrong,
            occurred_at=event.created_at,
            occurred_day=timezone.localdate(event.created_at).toordinal(),
            details={**moved, "reversed_kind": wrong.kind},
        )
    ]
    if due is not None:
        details = dict(moved)
        if due in _ANSWER_KINDS:
            details["within_deadline"] = due == K.ANSWERED
        new.append(
            CreditRecord(
                **common,
                kind=due,
                corrects=basis,
                occurred_at=basis.occurred_at,
                occurred_day=basis.occurred_day,
                details=details,
                response_seconds=basis.response_seconds,
            )
        )
    records_insert(new)
    if settings.CREDIT_EXPORT_PUSH_URL:
        if not all(r.pk for r in new):
            new = list(CreditRecord.objects.filter(source_event_id=event.pk))
        CreditOutbox.objects.bulk_create([CreditOutbox(record_id=r.pk) for r in new])


def _latest_move(case: Case) -> CaseEvent | None:
    """The answer clock's latest move: what decides its records after a replay."""
    return (
        CaseEvent.objects.filter(
            case_id=case.pk, kind="deadline.moved", payload__clock="negotiation_answer"
        )
        .order_by("-seq")
        .first()
    )

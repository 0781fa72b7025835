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
# A moved answer clock whose judgement changed: (status before, status after) -> the kind
# written on the old date, and the kind the new date gives (None: nothing replaces it).
_REJUDGED = {
    ("late", "met"): (K.ANSWERED_LATE, K.ANSWERED),
    ("met", "late"): (K.ANSWERED, K.ANSWERED_LATE),
}
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


def _with_ids(records: list[CreditRecord]) -> list[CreditRecord]:
    """The inserted records with their ids (returned by the insert where the database can)."""
    if all(r.pk for r in records):
        return records
    keys = {(r.case_id, r.kind) for r in records}
    found = CreditRecord.objects.filter(
        case_id__in={k[0] for k in keys}, kind__in={k[1] for k in keys}
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


def _reverse(event: CaseEvent, case: Case) -> None:
    """A record that rested on a deadline that has since moved: appended a reversal that
    points at it (the record is marked and weighs nothing any more, as a repaired one),
    then the record the new date gives. Nothing is edited but the mark; once per record.
    """
    payload = event.payload or {}
    if payload.get("clock") != "negotiation_answer":
        return
    if payload.get("expired_early"):
        wrong_kind, right_kind = K.ANSWER_MISSED, None
    else:
        found = _REJUDGED.get((payload.get("status_before"), payload.get("status")))
        if found is None:
            return
        wrong_kind, right_kind = found
    wrong = CreditRecord.objects.filter(
        case_id=case.pk, kind=wrong_kind, repaired_at__isnull=True
    ).first()
    if wrong is None:
        return
    now = timezone.now()
    if not CreditRecord.objects.filter(pk=wrong.pk, repaired_at__isnull=True).update(
        repaired_at=now
    ):
        return
    rollup_mark_repaired(wrong)
    common = {
        "merchant_id": wrong.merchant_id,
        "case_id": wrong.case_id,
        "source_event_id": event.pk,
        "occurred_at": event.created_at,
        "occurred_day": timezone.localdate(event.created_at).toordinal(),
        "recorded_at": now,
        "case_reference": wrong.case_reference,
        "category": wrong.category,
        "consumer": wrong.consumer,
        "division_code": wrong.division_code,
    }
    moved = {
        "clock": "negotiation_answer",
        "from": payload.get("from"),
        "to": payload.get("due_on"),
    }
    new = [
        CreditRecord(
            **common,
            repairs=wrong,
            kind=K.REVERSAL,
            details={**moved, "reversed_kind": wrong.kind},
        )
    ]
    taken = CreditRecord.objects.filter(case_id=case.pk, kind=right_kind).exists()
    if right_kind is not None and not taken:
        right = CreditRecord(
            **{**common, "occurred_at": wrong.occurred_at, "occurred_day": wrong.occurred_day},
            kind=right_kind,
            details={**moved, "within_deadline": right_kind == K.ANSWERED, "corrects": wrong.pk},
            response_seconds=wrong.response_seconds,
        )
        new.append(right)
    records_insert(new)
    if settings.CREDIT_EXPORT_PUSH_URL:
        CreditOutbox.objects.bulk_create(
            [CreditOutbox(record_id=r.pk) for r in _with_ids(new) if r.pk]
        )

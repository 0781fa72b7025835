"""Credit repair: a merchant that made good a breach (or a late performance, or an award)
asks, after a waiting period without new negative records, that the record stop counting;
a regulator of the merchant's jurisdiction approves or refuses, with a reason.

An approved repair marks the record (it stays in the history) and appends a record of
kind ``repair`` that points at it, so the export feed, which only ever grows, carries the
repair too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credit.index import NEGATIVE_KINDS, REPAIRABLE_KINDS
from credit.models import CreditOutbox, CreditRecord, RecordKind, RepairApplication
from credit.selectors import is_merchant_staff, regulates
from credit.services.rollup import records_insert, rollup_mark_repaired
from odr.errors import Conflict, DomainError, NotAllowed

MAX_TEXT = 2000
MIN_STATEMENT = 10


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    message: str = ""
    from_date: dt.date | None = None


def repair_eligibility(*, record: CreditRecord, now: dt.datetime | None = None) -> Eligibility:
    """Whether the merchant may apply now, and if not, why (and from when)."""
    now = now or timezone.now()
    if record.kind not in REPAIRABLE_KINDS:
        return Eligibility(
            False, _("Only a breach, a late performance or an award can be repaired.")
        )
    if record.repaired_at is not None:
        return Eligibility(False, _("This record is already repaired."))
    if RepairApplication.objects.filter(
        record=record, status=RepairApplication.Status.PENDING
    ).exists():
        return Eligibility(False, _("An application for this record is waiting for a decision."))
    wait = dt.timedelta(days=settings.CREDIT_REPAIR_WAITING_DAYS)
    latest_negative = (
        CreditRecord.objects.filter(
            merchant_id=record.merchant_id, kind__in=NEGATIVE_KINDS, repaired_at__isnull=True
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    start = max(record.occurred_at, latest_negative or record.occurred_at)
    if now < start + wait:
        day = timezone.localdate(start + wait)
        return Eligibility(
            False,
            _(
                "A record can be repaired once %(days)d days have passed without a new "
                "negative record: from %(date)s."
            )
            % {"days": settings.CREDIT_REPAIR_WAITING_DAYS, "date": day.isoformat()},
            day,
        )
    return Eligibility(True)


def _text(value: str, field: str, *, minimum: int = 1) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        message = (
            _("This field is required.")
            if not text
            else _("Say a little more (at least %(n)d characters).") % {"n": minimum}
        )
        raise DomainError(message, fields={field: [message]})
    if len(text) > MAX_TEXT or "\x00" in text:
        message = _("At most %(n)d characters.") % {"n": MAX_TEXT}
        raise DomainError(message, fields={field: [message]})
    return text


def repair_apply(*, record: CreditRecord, actor, statement: str) -> RepairApplication:
    """The merchant's application: how it made good, once the waiting period has passed."""
    text = _text(statement, "statement", minimum=MIN_STATEMENT)
    if not is_merchant_staff(actor, record.merchant_id):
        raise NotAllowed(_("Only the merchant's own staff may apply."), code="not_your_merchant")
    with transaction.atomic():
        record = CreditRecord.objects.select_for_update().get(pk=record.pk)
        eligibility = repair_eligibility(record=record)
        if not eligibility.eligible:
            raise Conflict(eligibility.message, code="not_eligible")
        try:
            with transaction.atomic():
                return RepairApplication.objects.create(
                    record=record, merchant_id=record.merchant_id, applied_by=actor, statement=text
                )
        except IntegrityError as exc:
            raise Conflict(
                _("An application for this record is waiting for a decision."), code="pending"
            ) from exc


def repair_decide(
    *, application: RepairApplication, actor, approve: bool, reason: str
) -> RepairApplication:
    """A regulator of the merchant's jurisdiction approves or refuses, giving the reason."""
    text = _text(reason, "reason")
    with transaction.atomic():
        application = (
            RepairApplication.objects.select_for_update()
            .select_related("merchant", "record")
            .get(pk=application.pk)
        )
        if not regulates(actor, application.merchant):
            raise NotAllowed(
                _("Only a regulator of the merchant's jurisdiction decides."),
                code="outside_jurisdiction",
            )
        if application.status != RepairApplication.Status.PENDING:
            raise Conflict(_("This application has already been decided."), code="decided")
        now = timezone.now()
        application.status = (
            RepairApplication.Status.APPROVED if approve else RepairApplication.Status.REFUSED
        )
        application.decided_by = actor
        application.decided_at = now
        application.decision_reason = text
        application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        if approve:
            _mark_repaired(application, now)
    return application


def _mark_repaired(application: RepairApplication, now: dt.datetime) -> None:
    record = application.record
    marked = CreditRecord.objects.filter(pk=record.pk, repaired_at__isnull=True).update(
        repaired_at=now
    )
    if not marked:
        raise Conflict(_("This record is already repaired."), code="already_repaired")
    rollup_mark_repaired(record)
    repair = CreditRecord(
        merchant_id=record.merchant_id,
        case_id=record.case_id,
        repairs=record,
        kind=RecordKind.REPAIR,
        occurred_at=now,
        occurred_day=timezone.localdate(now).toordinal(),
        case_reference=record.case_reference,
        category=record.category,
        consumer=record.consumer,
        division_code=record.division_code,
        details={"repaired_kind": record.kind, "application": application.pk},
        # The consumer's answer can no longer change by now (it is settled at the
        # regulator's acceptance decision, before anything repairable is recorded).
        published=record.published,
    )
    records_insert([repair])
    if repair.pk is None:
        repair = CreditRecord.objects.get(repairs=record, kind=RecordKind.REPAIR)
    outbox_id = None
    if settings.CREDIT_EXPORT_PUSH_URL:
        outbox_id = CreditOutbox.objects.create(record=repair).pk
    merchant_id = record.merchant_id

    def after_commit() -> None:
        from credit import tasks

        if outbox_id is not None:
            tasks.enqueue(tasks.push_record, outbox_id)
        tasks.enqueue(tasks.recompute_merchant, merchant_id)

    transaction.on_commit(after_commit)

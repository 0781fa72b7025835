"""A violation the office found after opening a case on a report (举报): one record on the
merchant's file, written in the transaction that records the finding, once per report.

A report reaches the credit file only this way (DESIGN.md, "What never counts: unproven
allegations"): a report that is received, being verified, not opened, or opened without
a finding yet writes nothing. The record carries the report's reference and the kind of
violation, nothing about the reporter; it is not a public entry of its own (published is
False) and, not being complaint handling, adds nothing to the complaint-handling index.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from credit.models import CreditOutbox, CreditRecord, RecordKind
from credit.services.rollup import records_insert


def credit_record_violation(
    *,
    merchant_id: int,
    reference: str,
    violation_kind: str,
    division_code: str,
    occurred_at: dt.datetime,
) -> CreditRecord | None:
    """Write the record (None when this report's finding is already on the file)."""
    if CreditRecord.objects.filter(
        case_reference=reference, kind=RecordKind.VIOLATION_FOUND
    ).exists():
        return None
    record = CreditRecord(
        merchant_id=merchant_id,
        case=None,
        source_event=None,
        kind=RecordKind.VIOLATION_FOUND,
        occurred_at=occurred_at,
        occurred_day=timezone.localdate(occurred_at).toordinal(),
        recorded_at=timezone.now(),
        case_reference=reference,
        category=f"violation.{violation_kind}"[:40],
        consumer="",
        division_code=division_code,
        details={"report": reference, "violation_kind": violation_kind},
        published=False,
    )
    records_insert([record])
    if settings.CREDIT_EXPORT_PUSH_URL:
        record = CreditRecord.objects.get(case_reference=reference, kind=RecordKind.VIOLATION_FOUND)
        outbox = CreditOutbox.objects.create(record_id=record.pk)
        transaction.on_commit(lambda: _push(outbox.pk))
    transaction.on_commit(lambda: _recompute(merchant_id))
    return record


def _push(outbox_id: int) -> None:
    from credit import tasks

    tasks.enqueue(tasks.push_record, outbox_id)


def _recompute(merchant_id: int) -> None:
    from credit import tasks

    tasks.enqueue(tasks.recompute_merchant, merchant_id)

"""Recomputing the index snapshot (``MerchantCreditIndex``) from records.

One merchant after its records change (a Celery task queued after commit), every merchant
nightly (decay moves every score a little each day). Both read the records and write with
one upsert that keeps the newer reading: a row is replaced only by a computation that
started later, so whichever order concurrent recomputations finish in, the snapshot ends
as the latest reading, which saw every record committed before it started. No counter is
ever read, incremented and written back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from accounts.models import Merchant
from credit.index import decay_sums, index_compute, sums_from_row
from credit.models import CreditDaily, MerchantCreditIndex, RecordKind
from credit.selectors import window_days

K = RecordKind
BATCH = 10000


def _aggregates(now: dt.datetime) -> dict:
    """Over rollup rows: the decayed sums per kind and the 12-month counts."""
    first, last = window_days(now)
    window = Q(day__gt=first, day__lte=last)
    return {
        **decay_sums(timezone.localdate(now)),
        "c_complaints": Sum("n", filter=window & Q(kind=K.COMPLAINT)),
        "c_resolved": Sum("n", filter=window & Q(kind=K.RESOLVED)),
        "c_unresolved": Sum("n", filter=window & Q(kind=K.UNRESOLVED)),
        "c_breaches": Sum(F("n") - F("repaired"), filter=window & Q(kind=K.BREACH)),
    }


@dataclass(frozen=True)
class Snapshot:
    merchant_id: int
    score: float
    grade: str
    components: dict
    complaints: int
    resolved: int
    concluded: int
    breaches: int


def snapshot_from_row(merchant_id: int, row: dict | None, *, as_of: dt.date) -> Snapshot:
    row = row or {}
    result = index_compute(sums_from_row(row), as_of=as_of)
    return Snapshot(
        merchant_id=merchant_id,
        score=result.score,
        grade=result.grade,
        components={c.key: round(c.points, 2) for c in result.components},
        complaints=row.get("c_complaints") or 0,
        resolved=row.get("c_resolved") or 0,
        concluded=(row.get("c_resolved") or 0) + (row.get("c_unresolved") or 0),
        breaches=row.get("c_breaches") or 0,
    )


_COLUMNS = (
    "merchant_id",
    "score",
    "grade",
    "components",
    "complaints_12m",
    "resolved_12m",
    "concluded_12m",
    "breaches_12m",
    "as_of",
    "computed_at",
)
# PostgreSQL: one array per column, unnested; the statement has ten parameters whatever
# the batch size (binding 20,000 parameters costs more than the insert).
_PG_TYPES = (
    "bigint",
    "numeric",
    "text",
    "jsonb",
    "int",
    "int",
    "int",
    "int",
    "date",
    "timestamptz",
)


def _upsert(snapshots: Iterable[Snapshot], *, as_of: dt.date, computed_at: dt.datetime) -> int:
    """Insert or replace rows, but never with a reading older than the stored one."""
    table = connection.ops.quote_name(MerchantCreditIndex._meta.db_table)
    columns = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])
    conflict = (
        f" ON CONFLICT (merchant_id) DO UPDATE SET {updates}"
        f" WHERE {table}.computed_at <= EXCLUDED.computed_at"
    )
    postgres = connection.vendor == "postgresql"
    written = 0
    batch: list[tuple] = []

    def flush() -> None:
        nonlocal written
        if not batch:
            return
        with connection.cursor() as cursor:
            if postgres:
                arrays = ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608 - names are ours
                    + conflict,
                    [list(column) for column in zip(*batch, strict=True)],
                )
            else:
                values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {values}" + conflict,  # noqa: S608
                    [value for row in batch for value in row],
                )
        written += len(batch)
        batch.clear()

    size = BATCH if postgres else 500
    for s in snapshots:
        batch.append(
            (
                s.merchant_id,
                s.score,
                s.grade,
                json.dumps(s.components),
                s.complaints,
                s.resolved,
                s.concluded,
                s.breaches,
                as_of,
                computed_at,
            )
        )
        if len(batch) >= size:
            flush()
    flush()
    return written


def credit_index_recompute(*, merchant_id: int, now: dt.datetime | None = None) -> Snapshot:
    """Recompute one merchant's snapshot from its records."""
    now = now or timezone.now()
    as_of = timezone.localdate(now)
    row = CreditDaily.objects.filter(merchant_id=merchant_id).aggregate(**_aggregates(now))
    snapshot = snapshot_from_row(merchant_id, row, as_of=as_of)
    with transaction.atomic():
        _upsert([snapshot], as_of=as_of, computed_at=now)
    return snapshot


def _merged(rows: dict[int, dict], as_of: dt.date) -> Iterator[Snapshot]:
    for merchant_id in (
        Merchant.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=10000)
    ):
        yield snapshot_from_row(merchant_id, rows.get(merchant_id), as_of=as_of)


def credit_index_recompute_all(*, now: dt.datetime | None = None) -> int:
    """Every merchant's snapshot, from one grouped aggregate over the per-day rollup."""
    now = now or timezone.now()
    as_of = timezone.localdate(now)
    aggregated = CreditDaily.objects.values("merchant_id").annotate(**_aggregates(now)).order_by()
    rows = {row["merchant_id"]: row for row in aggregated.iterator(chunk_size=10000)}
    with transaction.atomic():
        return _upsert(_merged(rows, as_of), as_of=as_of, computed_at=now)

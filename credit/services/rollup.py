"""Writing credit records together with their per-day rollup (``CreditDaily``).

Every record is inserted through ``records_insert`` (the event handler, a repair, the load
generator, the tests' factory), which adds its count to the rollup in the same
transaction with one upsert that increments (``n = n + EXCLUDED.n``). Rows are taken in a
fixed order (merchant, day, kind), so two transactions incrementing the same rows lock
them in the same order and cannot deadlock on them. ``credit_rollup_rebuild`` recomputes
the whole rollup from the records, ``credit_rollup_differences`` checks one against the
other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Q

from credit.models import CreditDaily, CreditRecord

BATCH = 5000


def rollup_add(increments: Iterable[tuple[int, int, str, int, int]]) -> None:
    """Add (merchant, day, kind, n, repaired) to the rollup, rows merged and sorted."""
    merged: Counter = Counter()
    repaired: Counter = Counter()
    for merchant_id, day, kind, n, fixed in increments:
        merged[(merchant_id, day, kind)] += n
        repaired[(merchant_id, day, kind)] += fixed
    keys = sorted(set(merged) | set(repaired))
    if not keys:
        return
    table = connection.ops.quote_name(CreditDaily._meta.db_table)
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        params: list = []
        for key in chunk:
            params += [*key, merged[key], repaired[key]]
        sql = (
            f"INSERT INTO {table} (merchant_id, day, kind, n, repaired) VALUES {values} "  # noqa: S608 - our names
            f"ON CONFLICT (merchant_id, day, kind) DO UPDATE SET "
            f"n = {table}.n + EXCLUDED.n, repaired = {table}.repaired + EXCLUDED.repaired"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def records_insert(records: list[CreditRecord]) -> list[CreditRecord]:
    """Insert new records (the caller knows they are new) and count them in the rollup."""
    if not records:
        return []
    assert connection.in_atomic_block, "records and their rollup are written together"
    CreditRecord.objects.bulk_create(records)
    rollup_add(
        (r.merchant_id, r.occurred_day, r.kind, 1, 1 if r.repaired_at else 0) for r in records
    )
    return records


def rollup_mark_repaired(record: CreditRecord) -> None:
    """One more repaired record on the record's day (its row exists: the record is in it)."""
    updated = CreditDaily.objects.filter(
        merchant_id=record.merchant_id, day=record.occurred_day, kind=record.kind
    ).update(repaired=F("repaired") + 1)
    assert updated == 1, "a repaired record is always counted in the rollup"


def _from_records():
    return (
        CreditRecord.objects.values("merchant_id", "occurred_day", "kind")
        .annotate(n=Count("id"), repaired=Count("id", filter=Q(repaired_at__isnull=False)))
        .order_by()
    )


def _count_sql(where: str = "") -> str:
    """INSERT ... SELECT: the rollup of the records (those matching ``where``) in SQL."""
    daily = connection.ops.quote_name(CreditDaily._meta.db_table)
    records = connection.ops.quote_name(CreditRecord._meta.db_table)
    return (
        f"INSERT INTO {daily} (merchant_id, day, kind, n, repaired) "  # noqa: S608 - our names
        f"SELECT merchant_id, occurred_day, kind, COUNT(*), COUNT(repaired_at) FROM {records} "
        f"{where} GROUP BY merchant_id, occurred_day, kind "
        f"ON CONFLICT (merchant_id, day, kind) DO UPDATE SET "
        f"n = {daily}.n + EXCLUDED.n, repaired = {daily}.repaired + EXCLUDED.repaired"
    )


def rollup_add_records_of_merchants(*, first_merchant_id: int) -> None:
    """Count the records of merchants from this id on (the load generator's new ones)."""
    with connection.cursor() as cursor:
        cursor.execute(_count_sql("WHERE merchant_id >= %s"), [first_merchant_id])


def credit_rollup_rebuild() -> int:
    """Recompute the rollup from the records, with writers held off meanwhile."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {connection.ops.quote_name(CreditRecord._meta.db_table)} "
                    "IN SHARE MODE"
                )
        CreditDaily.objects.all().delete()
        with connection.cursor() as cursor:
            # SQLite needs a WHERE before ON CONFLICT after a SELECT (its parser's rule).
            cursor.execute(_count_sql("WHERE TRUE"))
        return CreditDaily.objects.count()


def credit_rollup_differences(*, merchant_ids: Iterable[int] | None = None) -> list[tuple]:
    """Where the rollup and the records disagree (empty when they agree)."""
    records = _from_records()
    daily = CreditDaily.objects.all()
    if merchant_ids is not None:
        ids = list(merchant_ids)
        records, daily = records.filter(merchant_id__in=ids), daily.filter(merchant_id__in=ids)
    truth = {
        (r["merchant_id"], r["occurred_day"], r["kind"]): (r["n"], r["repaired"]) for r in records
    }
    kept = {(d.merchant_id, d.day, d.kind): (d.n, d.repaired) for d in daily if d.n or d.repaired}
    return sorted(
        (key, truth.get(key), kept.get(key))
        for key in set(truth) | set(kept)
        if truth.get(key) != kept.get(key)
    )

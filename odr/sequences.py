"""Reference numbers that never repeat under concurrent filing: one counter row per prefix
and year, bumped by one atomic upsert that commits at once (docs/adr/0004). Cases
(LY-2026-000123) and reports (JB-2026-000001) each keep their counters in a model of
their own built on ``NumberSequence``; a filing that fails afterwards leaves a gap."""

from __future__ import annotations

from django.db import connection, models


class NumberSequence(models.Model):
    """The last number given out per prefix and year (a concrete model adds its constraint
    on the pair, which the upsert needs)."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


def sequence_next(model: type[NumberSequence], *, prefix: str, year: int) -> int:
    """The next number of `model`'s counter for `prefix` and `year`, starting at 1.

    One statement: the counter row is locked only while it runs, not for the caller's
    transaction, so filings do not queue behind each other.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} (prefix, year, last) VALUES (%s, %s, 1) "  # noqa: S608 - our names
        "ON CONFLICT (prefix, year) DO UPDATE SET last = " + table + ".last + 1 RETURNING last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, year])
        (last,) = cursor.fetchone()
    return last

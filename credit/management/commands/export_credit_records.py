"""Write credit records as JSON Lines (one de-identified record per line), oldest first.

    python manage.py export_credit_records --since 2026-01-01 [--until 2026-07-01]
                                           [--output records.jsonl] [--include-unpublished]

The lines are those of the export feed and the push (``credit.selectors.record_export``).
Only the records whose consumer agreed to publication, as for a partner of the feed,
unless ``--include-unpublished`` (a file for a regulator, never for the public: its lines
say ``"public": false``).
"""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from credit.models import CreditRecord
from credit.selectors import record_export


def _moment(text: str, *, end: bool = False) -> dt.datetime:
    """A date (the start of that day, Beijing time) or an ISO date and time."""
    value = (text or "").strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.min)
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date or an ISO date and time: {text!r}") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


class Command(BaseCommand):
    help = "Write credit records since a date as JSON Lines (de-identified)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", required=True, help="a date (2026-01-01) or ISO time")
        parser.add_argument("--until", default="", help="before this date or time (optional)")
        parser.add_argument("--output", default="-", help="a file, or - for standard output")
        parser.add_argument(
            "--include-unpublished",
            action="store_true",
            help="also the records whose consumer did not agree to publication (for a "
            "regulator, never for the public)",
        )

    def handle(
        self, *args, since: str, until: str, output: str, include_unpublished: bool, **options
    ) -> None:
        start = _moment(since)
        records = CreditRecord.objects.filter(occurred_at__gte=start).select_related("merchant")
        if not include_unpublished:
            records = records.filter(published=True)
        if until:
            records = records.filter(occurred_at__lt=_moment(until))
        out = self.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        count = 0
        try:
            for record in records.order_by("occurred_at", "id").iterator(chunk_size=2000):
                line = json.dumps(record_export(record), ensure_ascii=False, sort_keys=True)
                if output == "-":
                    out.write(line)
                else:
                    out.write(line + "\n")
                count += 1
        finally:
            if output != "-":
                out.close()
        sys.stderr.write(f"{count} records\n")

"""Import one year's State Council holiday notice from a JSON file.

    manage.py calendar_import notice-2027.json [--dry-run]

The file: {"year": 2027, "source": "<the notice's title and number>",
"days_off": ["2027-01-01", ...], "working_days": ["2027-..."]}. The import is checked
(dates inside the year, every statutory day off listed, make-up working days only on
weekends), written in one transaction, and every deadline whose date moves is recounted,
logged on its case and told to its parties. --dry-run shows the same and writes nothing.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from odr.calendar import CalendarImportError, calendar_import

MAX_BYTES = 100_000


class Command(BaseCommand):
    help = "Import a State Council holiday notice (JSON) into the working-day calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the notice as a JSON file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="show the days and the deadlines that would change, and write nothing",
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from error
        if len(raw) > MAX_BYTES:
            raise CommandError(f"{path} is larger than a notice ({MAX_BYTES} bytes at most)")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{path} is not JSON in UTF-8: {error}") from error
        try:
            result = calendar_import(data, dry_run=options["dry_run"])
        except CalendarImportError as error:
            raise CommandError("\n".join(error.errors)) from error
        verb = "would change" if result.dry_run else "changed"
        self.stdout.write(f"{result.year}: {result.source}")
        self.stdout.write(
            f"{len(result.days_off)} days off, {len(result.working_days)} make-up working days; "
            f"{len(result.changes)} days {verb}:"
        )
        for change in result.changes:
            was = "working day" if change.working_before else "day off"
            now = "working day" if change.working_after else "day off"
            self.stdout.write(f"  {change.date.isoformat()} {was} -> {now} {change.name}")
        move = "would move" if result.dry_run else "moved"
        self.stdout.write(f"{len(result.moves)} deadlines {move}:")
        for m in result.moves:
            self.stdout.write(
                f"  {m['case']} {m['clock']}: {m['from']} -> {m['to']} ({m['status']})"
            )
        if result.dry_run:
            self.stdout.write("Dry run: nothing was written.")

"""Refresh the working-day calendar from the chinesecalendar package, after an upgrade of it.

A fresh `migrate` already seeds every year the package has; run this when a new package
version brings a year or a correction. Rows entered in the admin are never overwritten.
"""

import re

from django.core.management.base import BaseCommand, CommandError, CommandParser

from odr.calendar import package_years, seed_from_package


def _parse_years(value: str) -> range:
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", value)
    if not match:
        raise CommandError(f"--years takes a year or a range like 2004-2026, not {value!r}")
    first = int(match[1])
    last = int(match[2] or first)
    if last < first:
        raise CommandError(f"--years {value!r} ends before it starts")
    return range(first, last + 1)


class Command(BaseCommand):
    help = "Seed the State Council holiday schedule from the chinesecalendar package."

    def add_arguments(self, parser: CommandParser) -> None:
        available = package_years()
        parser.add_argument(
            "--years",
            default=f"{available.start}-{available.stop - 1}",
            help="a year or a range, e.g. 2026 or 2004-2026 (default: every year the package has)",
        )

    def handle(self, *args: object, **options: str) -> None:
        years = _parse_years(options["years"])
        try:
            result = seed_from_package(years)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Seeded {years.start}–{years.stop - 1}: {result.created} days created, "
            f"{result.updated} updated, {result.deleted} removed."
        )

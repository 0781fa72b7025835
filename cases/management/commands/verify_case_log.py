"""Check the hash chain of one case's event log, or of every case."""

from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from cases.services.events import case_log_verify


class Command(BaseCommand):
    help = "Verify the tamper-evident event log; names the first broken link."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ref", nargs="?", help="case reference, e.g. LY-2026-000123")

    def handle(self, *args, ref: str | None = None, **options) -> None:
        if ref:
            cases = Case.objects.filter(reference=ref)
            if not cases.exists():
                raise CommandError(f"No case {ref}.")
        else:
            cases = Case.objects.order_by("id")
        broken = 0
        for case in cases.iterator():
            report = case_log_verify(case=case)
            if report.ok:
                self.stdout.write(f"{report.reference}: OK ({report.events} events)")
            else:
                broken += 1
                self.stdout.write(
                    f"{report.reference}: BROKEN at event {report.broken_seq}: {report.problem}"
                )
        if broken:
            raise CommandError(f"{broken} case log(s) broken.")

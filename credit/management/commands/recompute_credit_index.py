"""Recompute every merchant's complaint-handling index snapshot from the records now
(what the nightly task does), and say how long it took.

    python manage.py recompute_credit_index
"""

import json
import time

from django.core.management.base import BaseCommand

from credit.services.recompute import credit_index_recompute_all


class Command(BaseCommand):
    help = "Recompute every merchant's index snapshot from its credit records."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON line")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        merchants = credit_index_recompute_all()
        seconds = time.perf_counter() - started
        if options["json"]:
            self.stdout.write(json.dumps({"merchants": merchants, "seconds": round(seconds, 3)}))
        else:
            self.stdout.write(f"{merchants} merchants recomputed in {seconds:.1f} s")

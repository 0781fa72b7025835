"""Fill the database with realistic volume for the credit benchmark (bench/credit.py).

    python manage.py generate_load --merchants 100000 --cases 1000000 [--consumers N]
                                   [--months 24] [--seed 12315] [--batch 20000]
                                   [--no-recompute]

Bulk inserts (COPY on PostgreSQL), in batches of their own transactions; then every
merchant's index snapshot is recomputed. Refused under production settings.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from credit.loadgen import generate_load
from credit.services.recompute import credit_index_recompute_all


class Command(BaseCommand):
    help = "Generate merchants, consumers, cases, events and credit records in bulk."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--merchants", type=int, required=True)
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--consumers", type=int, default=None)
        parser.add_argument("--months", type=int, default=24, help="cases over this many months")
        parser.add_argument("--seed", type=int, default=12315)
        parser.add_argument("--batch", type=int, default=20000)
        parser.add_argument("--no-recompute", action="store_true")

    def handle(self, *args, **options) -> None:
        if not settings.ODR_ALLOW_DEMO_SEED:
            raise CommandError("generate_load is refused under production settings.")
        if options["merchants"] < 1 or options["cases"] < 0 or options["batch"] < 1:
            raise CommandError("--merchants at least 1, --cases 0 or more, --batch at least 1")
        if not 1 <= options["months"] <= 120:
            raise CommandError("--months from 1 to 120")
        report = generate_load(
            merchants=options["merchants"],
            cases=options["cases"],
            consumers=options["consumers"],
            months=options["months"],
            seed=options["seed"],
            batch=options["batch"],
            progress=lambda message: self.stderr.write(message),
        )
        recomputed = 0
        if not options["no_recompute"]:
            recomputed = credit_index_recompute_all()
        self.stdout.write(
            f"{report.merchants} merchants, {report.stores} stores, {report.consumers} "
            f"consumers, {report.cases} cases, {report.events} events, {report.records} "
            f"records in {report.seconds:.1f} s; {recomputed} indexes recomputed"
        )

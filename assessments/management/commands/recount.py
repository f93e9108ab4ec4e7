import time

from django.core.management.base import BaseCommand, CommandError

from assessments.tally import recount


class Command(BaseCommand):
    help = (
        "Count every ward's progress again from its assessments and compare it "
        "with the stored figures the dashboards read; store the counts unless "
        "--check. Differences are printed; none is expected."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit with status 1 if anything differs.",
        )

    def handle(self, *args, check: bool, **options):
        start = time.perf_counter()
        found = recount(fix=not check)
        elapsed = time.perf_counter() - start
        for example in found.examples:
            self.stdout.write(f"  {example}")
        self.stdout.write(
            f"Recounted in {elapsed:.1f} s: {found.enrolments} enrolments, "
            f"{found.tallies} level tallies, {found.criterion_tallies} criterion "
            f"tallies and {found.waiting_tallies} waiting tallies differed"
            + (" (left as they were)." if check else " (stored as counted).")
        )
        if check and found.differences:
            raise CommandError("The stored progress differs from a recount.")

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from devdata import national


class Command(BaseCommand):
    help = (
        "Generate national-scale data (34 provinces, 3,321 wards, this year and "
        "last) for the benchmark, unless it is there already. Use a database of "
        "its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, nargs="+", default=None)

    def handle(self, *args, years, **options):
        this_year = timezone.localdate().year
        years = years or [this_year - 1, this_year]
        if national.is_loaded(years):
            self.stdout.write(f"National data for {years} is already there.")
            return
        start = time.perf_counter()
        try:
            counts = national.generate(years=years)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Fresh statistics, or the planner plans for empty tables.
                cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - start
        figures = ", ".join(f"{value:,} {name}" for name, value in counts.items())
        self.stdout.write(f"Generated {figures} in {elapsed:.1f} s.")

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from devdata import national
from wards.models import Province

# The exit status of --check when the database must start again empty.
STALE = 3


class Command(BaseCommand):
    help = (
        "Generate national-scale data on the official units (34 provinces and "
        "3,321 units, with the lists before them and their lineage; every unit "
        "enrolled this year and last) for the benchmark, unless it is there "
        "already. Use a database of its own (one per scale)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, nargs="+", default=None)
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help=(
                "N times the units: each unit comes with N-1 copies in its "
                f"province, enrolled like it (1 to {national.MAX_SCALE})."
            ),
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help=(
                f"Generate nothing; exit with status {STALE} if the database holds "
                "something the generator cannot build on (the invented units of "
                "an earlier generator, other data, other years, another scale), so "
                "that it can start again from an empty database."
            ),
        )

    def handle(self, *args, years, scale, check, **options):
        if not 1 <= scale <= national.MAX_SCALE:
            raise CommandError(f"--scale is from 1 to {national.MAX_SCALE}.")
        this_year = timezone.localdate().year
        years = years or [this_year - 1, this_year]
        if check:
            self.check_reusable(years, scale)
            return
        if national.is_loaded(years, scale=scale):
            self.stdout.write(
                f"National data for {years} at scale {scale} is already there."
            )
            return
        start = time.perf_counter()
        try:
            counts = national.generate(years=years, scale=scale)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Fresh statistics, or the planner plans for empty tables.
                cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - start
        figures = ", ".join(f"{value:,} {name}" for name, value in counts.items())
        self.stdout.write(f"Generated {figures} at scale {scale} in {elapsed:.1f} s.")

    def check_reusable(self, years: list[int], scale: int) -> None:
        """Return if the database is empty or holds the national data for
        `years` at `scale`; else fail with STALE, saying why. Safe before
        `migrate`."""
        if "wards_province" not in connection.introspection.table_names():
            return
        try:
            if national.invented_data():
                reason = "the invented provinces and units of an earlier generator"
            elif not Province.objects.exists() or national.is_loaded(
                years, scale=scale
            ):
                return
            elif (found := national.loaded_scale()) != scale and national.is_loaded(
                years, scale=found
            ):
                reason = f"the national data for {years} at scale {found}, not {scale}"
            else:
                reason = f"other data than the national data for {years}"
        except DatabaseError:
            reason = "tables of an earlier version of the app"
        raise CommandError(
            f"The database holds {reason}: start again from an empty one.",
            returncode=STALE,
        )

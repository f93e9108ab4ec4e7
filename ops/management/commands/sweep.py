import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from ops.sweep import sweep


class Command(BaseCommand):
    help = (
        "Remove stored evidence files that no row refers to and temporary "
        "uploads that never finished (resumable ones after a day at least), "
        "once older than the grace period."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=settings.SWEEP_GRACE_HOURS,
            help="leave anything younger than this alone "
            "(default SWEEP_GRACE_HOURS, 24; at least 1)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report, remove nothing"
        )

    def handle(self, *args, grace_hours: float, dry_run: bool, **options):
        report = sweep(grace=dt.timedelta(hours=grace_hours), dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        for name in report.orphans:
            self.stdout.write(f"{verb} orphan file: {name}")
        for name in report.temporary:
            self.stdout.write(f"{verb} temporary upload: {name}")
        for name in report.unfinished:
            self.stdout.write(f"{verb} unfinished resumable upload: {name}")
        self.stdout.write(
            f"{len(report.orphans)} orphan file(s), {len(report.temporary)} "
            f"temporary upload(s) and {len(report.unfinished)} unfinished "
            f"resumable upload(s), {report.freed:,} bytes {verb}."
        )

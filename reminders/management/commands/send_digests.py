import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.models import Digest
from reminders.digests import letters, send_digests


class Command(BaseCommand):
    help = (
        "Send today's digests (the worker does this at DIGEST_TIME); with "
        "--dry-run, print them instead and send nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            choices=[*Digest.values, "all"],
            default="all",
            help="daily (reviewers), weekly (leaders), or all (the default)",
        )
        parser.add_argument(
            "--date",
            help="with --dry-run: the day, YYYY-MM-DD (default: today, local time)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the digests, send nothing"
        )
        parser.add_argument("--user", help="only this user's digest")

    def handle(self, *args, kind, date, dry_run, user, **options):
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        if date and not dry_run and day != timezone.localdate():
            raise CommandError(
                "Digests are sent for today only; use --date with --dry-run."
            )
        kinds = Digest.values if kind == "all" else [kind]
        for one in kinds:
            if not dry_run:
                outcome = send_digests(one, day, username=user or "")
                summary = ", ".join(
                    f"{n} {what}" for what, n in sorted(outcome.items())
                )
                self.stdout.write(f"{one}: {summary or 'nobody to send to'}")
                continue
            count = 0
            for letter in letters(one, day):
                if user and letter.user.get_username() != user:
                    continue
                count += 1
                self.stdout.write(
                    f"To: {letter.user.email} ({letter.user.get_username()})"
                )
                self.stdout.write(f"Subject: {letter.subject}\n")
                self.stdout.write(letter.body)
                self.stdout.write("\n" + "-" * 72)
            self.stdout.write(f"{one}: {count} digest(s) would be sent (dry run).")

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devdata import demo
from wards.units import UnitFileError


class Command(BaseCommand):
    help = (
        "Load the shipped criteria set, the official units and the demo "
        "enrolments, evidence and accounts. Running it again changes nothing; "
        "--reset reloads."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="remove the demo data and load it anew"
        )
        parser.add_argument(
            "--only-demo-provinces",
            action="store_true",
            help=(
                "load only the official units of the provinces the demo uses "
                "(both lists, with their lineage): about a second, for tests"
            ),
        )

    def handle(self, *args, reset: bool, only_demo_provinces: bool, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo accounts have a known password: demo data loads only with "
                "DEBUG on or DEMO_DATA_ALLOWED=true, never on a production database."
            )
        if reset:
            demo.remove_demo()
        try:
            if demo.is_loaded():
                demo.load_reference_data(only_demo_provinces=only_demo_provinces)
                self.stdout.write("Demo data is already loaded; nothing to do.")
            else:
                demo.load_demo(only_demo_provinces=only_demo_provinces)
                self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        except UnitFileError as exc:
            raise CommandError(
                f"The official units cannot be loaded: {exc} A database made "
                "by an earlier demo holds made-up units; start from an empty "
                "database (remove var/kieumau.sqlite3) and run it again."
            ) from None
        if settings.DEMO_PASSWORD == demo.DEFAULT_PASSWORD:
            where = f"“{demo.DEFAULT_PASSWORD}”"
        else:
            where = "DEMO_PASSWORD from the environment"
        self.stdout.write(f"Demo accounts (password: {where}):")
        for username, role, *_scope in demo.DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<16} {role.label}")
        self.stdout.write(
            "Reviewer, leader, Ministry reviewer and administrator accounts also "
            "need a second-factor "
            "code: DEBUG=true .venv/bin/python manage.py demo_code demo-reviewer"
        )

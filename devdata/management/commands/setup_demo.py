from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devdata import demo


class Command(BaseCommand):
    help = (
        "Load the shipped criteria set and the demo wards, enrolments, evidence "
        "and accounts. Running it again changes nothing; --reset reloads."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="remove the demo data and load it anew"
        )

    def handle(self, *args, reset: bool, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo accounts have a known password: demo data loads only with "
                "DEBUG on or DEMO_DATA_ALLOWED=true, never on a production database."
            )
        if reset:
            demo.remove_demo()
        if demo.is_loaded():
            demo.load_reference_data()
            self.stdout.write("Demo data is already loaded; nothing to do.")
        else:
            demo.load_demo()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if settings.DEMO_PASSWORD == demo.DEFAULT_PASSWORD:
            where = f"“{demo.DEFAULT_PASSWORD}”"
        else:
            where = "DEMO_PASSWORD from the environment"
        self.stdout.write(f"Demo accounts (password: {where}):")
        for username, role, *_scope in demo.DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<14} {role.label}")
        self.stdout.write(
            "Reviewer, leader and administrator accounts also need a second-factor "
            "code: DEBUG=true .venv/bin/python manage.py demo_code demo-reviewer"
        )

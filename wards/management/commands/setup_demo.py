from django.conf import settings
from django.core.management.base import BaseCommand

from wards import demo


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
            "Reviewer, leader and administrator accounts also need a second factor: "
            "add the key DOI3UKVBU4BAVACRXEN2FKQ2OAQKQBI3 to an authenticator app, "
            "or run `manage.py demo_code USER`."
        )

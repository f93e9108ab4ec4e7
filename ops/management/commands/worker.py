from django.core.management import call_command
from django.core.management.base import BaseCommand

from ops.tasks import schedule_sweep


class Command(BaseCommand):
    help = (
        "Run the task worker (mail, the sweep): django-tasks-db's db_worker, "
        "with the sweep of left-over files scheduled."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="stop when no task is waiting"
        )

    def handle(self, *args, batch: bool, **options):
        schedule_sweep()
        call_command(
            "db_worker",
            batch=batch,
            startup_delay=not batch,
            verbosity=options["verbosity"],
        )

from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.schedule import schedule_all


class Command(BaseCommand):
    help = (
        "Run the task worker (mail, reminders, digests, the sweep): "
        "django-tasks-db's db_worker, with the jobs of WORKER_SCHEDULE scheduled."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="stop when no task is waiting"
        )

    def handle(self, *args, batch: bool, **options):
        schedule_all()
        call_command(
            "db_worker",
            batch=batch,
            startup_delay=not batch,
            verbosity=options["verbosity"],
        )

import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string

from core.schedule import schedule_all
from ops import liveness


class Command(BaseCommand):
    help = (
        "Run the task worker (mail, reminders, digests, the sweep): "
        "django-tasks-db's db_worker, with the jobs of WORKER_SCHEDULE scheduled "
        "and the tasks of workers that died queued again (ops.liveness)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="stop when no task is waiting"
        )

    def handle(self, *args, batch: bool, **options):
        worker_id = get_random_string(32)
        schedule_all()
        liveness.beat(worker_id)
        liveness.requeue_lost()
        stop = threading.Event()
        beating = threading.Thread(
            target=self.keep_beating, args=(worker_id, stop), daemon=True
        )
        beating.start()
        try:
            call_command(
                "db_worker",
                batch=batch,
                startup_delay=not batch,
                worker_id=worker_id,
                verbosity=options["verbosity"],
            )
        finally:
            stop.set()
            beating.join()
            liveness.stopped(worker_id)

    @staticmethod
    def keep_beating(worker_id: str, stop: threading.Event) -> None:
        """Every WORKER_BEAT_SECONDS, on a connection of its own (kept between
        beats): say this worker is alive, and queue again the tasks of those
        that are not; a periodic job given up that way is scheduled again."""
        try:
            while not stop.wait(settings.WORKER_BEAT_SECONDS):
                close_old_connections()
                try:
                    liveness.beat(worker_id)
                    if liveness.requeue_lost()[1]:
                        schedule_all()
                except Exception:  # noqa: BLE001 - the database is away: next beat
                    liveness.logger.exception("The worker's beat failed.")
        finally:
            connection.close()

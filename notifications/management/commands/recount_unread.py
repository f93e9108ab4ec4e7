from django.core.management.base import BaseCommand

from notifications.services import recount_unread


class Command(BaseCommand):
    help = "Recount the unread notifications of every user and report any difference."

    def handle(self, *args, **options):
        wrong = recount_unread()
        for user, stored, counted in wrong:
            self.stdout.write(f"{user.username}: {stored} stored, {counted} counted")
        self.stdout.write(f"{len(wrong)} count(s) corrected.")

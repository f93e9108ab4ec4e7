from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import current_code
from devdata import demo


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo account."

    def add_arguments(self, parser):
        parser.add_argument("username", help="a demo account, e.g. demo-reviewer")

    def handle(self, *args, username: str, **options):
        if username not in {account[0] for account in demo.DEMO_ACCOUNTS}:
            raise CommandError("Only the demo accounts' codes can be shown.")
        device = TOTPDevice.objects.filter(
            user__username=username, confirmed=True, name=demo.DEMO_DEVICE
        ).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator.")
        self.stdout.write(current_code(device))

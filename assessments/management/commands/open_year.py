from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from access.models import Membership
from accounts.models import User
from assessments.recognition import open_year


class Command(BaseCommand):
    help = (
        "Open a year: enrol every ward recognised the year before again, on the "
        "same level, to keep its title. Running it again enrols nobody twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the national leader or administrator it is done for (logged)",
        )

    def handle(self, *args, year: int, username: str, **options):
        actor = User.objects.filter(username=username, is_active=True).first()
        national = (Membership.Role.NATIONAL_LEADER, Membership.Role.ADMINISTRATOR)
        if actor is None or not (
            actor.is_superuser or actor.memberships.filter(role__in=national).exists()
        ):
            raise CommandError(
                _("%(user)s is not a national leader.") % {"user": username}
            )
        if not 2000 < year <= 2100:
            raise CommandError(_("Give a year such as 2027."))
        opened = open_year(year, actor=actor)
        for enrolment in opened.enrolled:
            self.stdout.write(
                _("enrolled again: %(ward)s (%(track)s)")
                % {
                    "ward": enrolment.ward.full_name,
                    "track": enrolment.get_track_display(),
                }
            )
        for enrolment in opened.closed:
            self.stdout.write(
                _("no longer in force, nobody took it: %(ward)s")
                % {"ward": enrolment.ward.full_name}
            )
        self.stdout.write(
            _("%(enrolled)d enrolled again, %(already)d already enrolled.")
            % {"enrolled": len(opened.enrolled), "already": len(opened.already)}
        )

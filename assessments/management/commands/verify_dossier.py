from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.archive import verify_zip


class Command(BaseCommand):
    help = (
        "Check a dossier ZIP against its manifest.json: every file listed is "
        "there with its size and SHA-256, and no other file; exit 1 if not."
    )

    def add_arguments(self, parser):
        parser.add_argument("zip", help="path of the dossier ZIP")

    def handle(self, *args, zip: str, **options):
        problems = verify_zip(zip)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(
                ngettext(
                    "%(count)d problem found.",
                    "%(count)d problems found.",
                    len(problems),
                )
                % {"count": len(problems)},
                returncode=1,
            )
        self.stdout.write(_("OK: every file matches the manifest."))

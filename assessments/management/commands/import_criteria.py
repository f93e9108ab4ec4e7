from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessments.services import import_criteria_file
from criteria.fileformat import CriteriaFileError


class Command(BaseCommand):
    help = "Load a criteria set from its CSV file; loading it again updates it."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the criteria CSV file")

    def handle(self, *args, file: str, **options):
        try:
            result = import_criteria_file(file)
        except CriteriaFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(
            _(
                "%(set)s: %(size)d criteria (%(created)d new, %(updated)d updated, "
                "%(removed)d removed)."
            )
            % {
                "set": result.criteria_set.code,
                "size": result.created + result.updated,
                "created": result.created,
                "updated": result.updated,
                "removed": result.removed,
            }
        )

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wards.services import WardFileError, import_wards_file


class Command(BaseCommand):
    help = (
        "Load provinces and wards from a CSV file with the columns "
        "province_code, province, code, name, kind (phuong, xa or dac_khu)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the wards CSV file")

    def handle(self, *args, file: str, **options):
        try:
            result = import_wards_file(file)
        except WardFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(
            _(
                "%(provinces)d provinces and %(created)d wards added, "
                "%(updated)d updated."
            )
            % {
                "provinces": result.provinces_created,
                "created": result.wards_created,
                "updated": result.wards_updated,
            }
        )

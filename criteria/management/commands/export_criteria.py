import sys

from django.core.management.base import BaseCommand, CommandError

from criteria.fileformat import write
from criteria.models import CriteriaSet


class Command(BaseCommand):
    help = "Write a criteria set in the file format that import_criteria reads."

    def add_arguments(self, parser):
        parser.add_argument("code", help="code of the criteria set")
        parser.add_argument(
            "--output", "-o", help="file to write (default: standard output)"
        )

    def handle(self, *args, code: str, output: str | None, **options):
        try:
            criteria_set = CriteriaSet.objects.get(code=code)
        except CriteriaSet.DoesNotExist:
            known = ", ".join(CriteriaSet.objects.values_list("code", flat=True))
            raise CommandError(
                f"No criteria set has the code {code!r}. Known: {known or 'none'}."
            ) from None
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                write(criteria_set, out)
        else:
            write(criteria_set, sys.stdout)

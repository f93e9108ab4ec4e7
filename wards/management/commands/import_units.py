from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wards.units import UnitFileError, apply, import_units_file


class Command(BaseCommand):
    help = (
        "Load an official list of units (CSV: code, name, province_code, and "
        "optionally kind, province, valid_from, valid_to, latitude, longitude) "
        "and the changes that link it to the list before (CSV: old_code, "
        "new_code, effective, partial). Prints what would change; refuses, "
        "naming the line, to give an existing unit another identity."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the list of units")
        parser.add_argument(
            "--changes", help="old code → new code on a date (mergers, splits)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the plan, write nothing"
        )
        parser.add_argument(
            "--allow-renames",
            action="store_true",
            help="a code in use may get another name or kind",
        )
        parser.add_argument(
            "--allow-moves",
            action="store_true",
            help="a code in use may move to another province",
        )

    def handle(self, *args, file, changes, dry_run, allow_renames, allow_moves, **o):
        try:
            plan = import_units_file(
                file,
                changes,
                allow_renames=allow_renames,
                allow_moves=allow_moves,
                dry_run=True,
            )
        except UnitFileError as exc:
            raise CommandError(f"{exc}") from None
        for line in plan.summary():
            self.stdout.write(line)
        verbosity = o.get("verbosity", 1)
        if verbosity > 1:
            for new, olds in plan.merged.items():
                self.stdout.write(
                    _("merged: %(olds)s → %(new)s")
                    % {"olds": ", ".join(olds), "new": new}
                )
            for old, news in plan.split.items():
                self.stdout.write(
                    _("split: %(old)s → %(news)s")
                    % {"old": old, "news": ", ".join(news)}
                )
        if plan.refusals:
            for refusal in plan.refusals[:50]:
                self.stderr.write(refusal)
            raise CommandError(
                _("%(n)d problem(s); nothing was written.") % {"n": len(plan.refusals)}
            )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        apply(plan)
        self.stdout.write(_("Imported."))

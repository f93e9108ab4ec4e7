from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wards.units import Plan, UnitFileError, apply, import_official, import_units_file


class Command(BaseCommand):
    help = (
        "Load an official list of units (CSV: code, name, province_code, and "
        "optionally kind, province, valid_from, valid_to, latitude, longitude), "
        "with its provinces and the changes that link it to the list before "
        "(CSV: old_code, new_code, effective, partial); or, with --official, the "
        "lists shipped in wards/data/. Prints what would change; refuses, naming "
        "the line, to give an existing unit another identity."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the list of units")
        parser.add_argument(
            "--official",
            action="store_true",
            help="the shipped lists: before 1 July 2025, then since (wards/data/)",
        )
        parser.add_argument("--provinces", help="the list of provinces")
        parser.add_argument(
            "--changes", help="old unit code → new code on a date (mergers, splits)"
        )
        parser.add_argument(
            "--province-changes", help="old province code → new code on a date"
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

    def handle(self, *args, **options):
        if options["official"]:
            steps = import_official(dry_run=options["dry_run"])
            for name, plan in steps:
                self.stdout.write(_("The list %(name)s:") % {"name": name})
                self.report(plan, options)
            self.finish(options, written=True)
            return
        if not options["file"]:
            raise CommandError(_("Name a list of units, or pass --official."))
        try:
            plan = import_units_file(
                options["file"],
                options["changes"],
                provinces_path=options["provinces"],
                province_changes_path=options["province_changes"],
                allow_renames=options["allow_renames"],
                allow_moves=options["allow_moves"],
                dry_run=True,
            )
        except UnitFileError as exc:
            raise CommandError(str(exc)) from None
        self.report(plan, options)
        if not options["dry_run"]:
            apply(plan)
        self.finish(options, written=not options["dry_run"])

    def report(self, plan: Plan, options) -> None:
        for line in plan.summary():
            self.stdout.write("  " + line)
        if options["verbosity"] > 1:
            for new, olds in plan.units.merged.items():
                self.stdout.write(
                    "  "
                    + _("merged: %(olds)s → %(new)s")
                    % {"olds": ", ".join(olds), "new": new}
                )
            for old, news in plan.units.split.items():
                self.stdout.write(
                    "  "
                    + _("split: %(old)s → %(news)s")
                    % {"old": old, "news": ", ".join(news)}
                )
        if plan.refusals:
            for refusal in plan.refusals[:50]:
                self.stderr.write(refusal)
            raise CommandError(
                _("%(n)d problem(s); nothing was written.") % {"n": len(plan.refusals)}
            )

    def finish(self, options, *, written: bool) -> None:
        if options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))
        elif written:
            self.stdout.write(_("Imported."))

import sys

from django.core.management.base import BaseCommand

from ops.integrity import check


class Command(BaseCommand):
    help = (
        "Report evidence files without a row (orphans), rows without their file "
        "(missing) and files whose SHA-256 no longer matches; exit 1 if any."
    )

    def handle(self, *args, **options):
        report = check()
        for label, names in [
            ("orphan file", report.orphans),
            ("missing file", report.missing),
            ("SHA-256 mismatch", report.mismatched),
        ]:
            for name in names:
                self.stdout.write(f"{label}: {name}")
        self.stdout.write(
            f"{report.checked} stored files checked: {len(report.orphans)} orphan, "
            f"{len(report.missing)} missing, {len(report.mismatched)} mismatched."
        )
        if not report.clean:
            sys.exit(1)

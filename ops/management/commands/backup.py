from pathlib import Path

from django.core.management.base import BaseCommand

from ops.backup import back_up


class Command(BaseCommand):
    help = "Back up the database and the evidence files into one .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive to write, e.g. kieumau.tar.gz")

    def handle(self, *args, path: str, **options):
        manifest = back_up(Path(path))
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"Backed up {rows} rows and {len(manifest['files'])} files to {path}."
        )

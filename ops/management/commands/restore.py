from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty, migrated database and an empty media "
        "folder, then check row counts and file hashes against it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive written by `backup`")

    def handle(self, *args, path: str, **options):
        try:
            manifest = restore(Path(path))
        except (BackupError, OSError, KeyError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored {sum(manifest['counts'].values())} rows and "
            f"{len(manifest['files'])} files; counts and hashes match the backup."
        )

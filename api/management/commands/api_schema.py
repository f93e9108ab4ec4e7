from django.core.management.base import BaseCommand, CommandError

from api.schema import SCHEMA_FILE, schema_text


class Command(BaseCommand):
    help = "Write the API's OpenAPI schema to docs/api/openapi.json (--check: compare)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail if the file differs from the code's schema.",
        )

    def handle(self, *args, check: bool = False, **options):
        text = schema_text()
        current = (
            SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
        )
        if check:
            if current != text:
                raise CommandError(
                    f"{SCHEMA_FILE} is out of date: run `make api-schema`."
                )
            if options["verbosity"]:
                self.stdout.write("The API schema is up to date.")
            return
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        if options["verbosity"]:
            self.stdout.write(f"Wrote {SCHEMA_FILE}.")

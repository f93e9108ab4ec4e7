"""The table of the `throttle` cache (settings.CACHES), where throttles count.

Made here, so that `migrate` is all a deployment runs; Django's test runner
makes it by itself (`createcachetable`) when migrations are skipped.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "throttle_counts"


def create_table(apps, schema_editor):
    call_command(
        "createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0
    )


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_usersession")]

    operations = [migrations.RunPython(create_table, drop_table)]

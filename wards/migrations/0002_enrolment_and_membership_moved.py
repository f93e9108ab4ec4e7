# Enrolment went to `evidence` (the assessments app) and Membership to
# `access`; their tables were kept. Only Django's picture of the apps changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0001_initial'),
        ('evidence', '0002_enrolment_from_wards'),
        ('wards', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Membership'),
                migrations.DeleteModel(name='Enrolment'),
            ],
            database_operations=[],
        ),
    ]

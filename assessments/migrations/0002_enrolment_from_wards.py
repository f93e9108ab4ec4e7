# Enrolments moved here from `wards` (wards_enrolment) when the apps were laid
# out in layers: the table is kept and renamed, no row is touched.

import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep permissions and admin history attached to the moved model."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="wards", model="enrolment").update(
        app_label="evidence"
    )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="evidence", model="enrolment").update(
        app_label="wards"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('criteria', '0001_initial'),
        ('evidence', '0001_initial'),
        ('wards', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Enrolment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                        ('track', models.CharField(choices=[('ministry', 'Assigned by the Ministry'), ('province', 'Added by the province')], max_length=16, verbose_name='track')),
                        ('recognition_number', models.CharField(blank=True, max_length=64, verbose_name='recognition decision number')),
                        ('recognition_date', models.DateField(blank=True, null=True, verbose_name='recognition decision date')),
                        ('criteria_set', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='enrolments', to='criteria.criteriaset', verbose_name='criteria set')),
                        ('ward', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='enrolments', to='wards.ward', verbose_name='ward')),
                    ],
                    options={
                        'verbose_name': 'enrolment',
                        'verbose_name_plural': 'enrolments',
                        'ordering': ['-year', 'ward__province__name', 'ward__name'],
                        'db_table': 'wards_enrolment',
                    },
                ),
                migrations.AddIndex(
                    model_name='enrolment',
                    index=models.Index(fields=['year', 'track'], name='wards_enrol_year_ed7dc5_idx'),
                ),
                migrations.AddConstraint(
                    model_name='enrolment',
                    constraint=models.UniqueConstraint(fields=('ward', 'year'), name='one_enrolment_per_ward_per_year'),
                ),
                migrations.AddConstraint(
                    model_name='enrolment',
                    constraint=models.CheckConstraint(condition=models.Q(('track__in', ['ministry', 'province'])), name='enrolment_track_valid'),
                ),
                migrations.AddConstraint(
                    model_name='enrolment',
                    constraint=models.CheckConstraint(condition=models.Q(('year__gte', 2000), ('year__lte', 2100)), name='enrolment_year_plausible'),
                ),
                migrations.AlterField(
                    model_name='assessment',
                    name='enrolment',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assessments', to='evidence.enrolment', verbose_name='enrolment'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RenameIndex(
            model_name='enrolment',
            new_name='evidence_en_year_1a78d7_idx',
            old_name='wards_enrol_year_ed7dc5_idx',
        ),
        migrations.AlterModelTable(name='enrolment', table=None),
        migrations.RunPython(move_content_type, restore_content_type),
    ]

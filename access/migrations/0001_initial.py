# Memberships moved here from `wards` (wards_membership) when the apps were
# laid out in layers: the table is kept and renamed, no row is touched.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep permissions and admin history attached to the moved model."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="wards", model="membership").update(
        app_label="access"
    )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="access", model="membership").update(
        app_label="wards"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('criteria', '0001_initial'),
        ('wards', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('officer', 'Ward officer'), ('reviewer', 'Provincial reviewer'), ('provincial_leader', 'Provincial leader'), ('national_leader', 'National leader'), ('administrator', 'Administrator')], max_length=32, verbose_name='role')),
                        ('criterion_groups', models.ManyToManyField(blank=True, help_text='Leave empty to cover every group.', related_name='memberships', to='criteria.criteriongroup', verbose_name='only these criterion groups')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                        ('province', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='wards.province', verbose_name='province')),
                        ('ward', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='wards.ward', verbose_name='ward')),
                    ],
                    options={
                        'verbose_name': 'membership',
                        'verbose_name_plural': 'memberships',
                        'db_table': 'wards_membership',
                    },
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('province__isnull', True), ('role__in', ['officer']), ('ward__isnull', False)), models.Q(('province__isnull', False), ('role__in', ['reviewer', 'provincial_leader']), ('ward__isnull', True)), models.Q(('province__isnull', True), ('role__in', ['national_leader', 'administrator']), ('ward__isnull', True)), _connector='OR'), name='membership_scope_matches_role', violation_error_message='A ward officer needs a ward, a reviewer or provincial leader needs a province, and national roles need neither.'),
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.UniqueConstraint(condition=models.Q(('ward__isnull', False)), fields=('user', 'role', 'ward'), name='membership_unique_per_ward'),
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.UniqueConstraint(condition=models.Q(('province__isnull', False)), fields=('user', 'role', 'province'), name='membership_unique_per_province'),
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.UniqueConstraint(condition=models.Q(('province__isnull', True), ('ward__isnull', True)), fields=('user', 'role'), name='membership_unique_nationwide'),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='membership', table=None),
        migrations.RunPython(move_content_type, restore_content_type),
    ]

"""A database of the first version keeps what it knew of mergers."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("wards", "0002_enrolment_and_membership_moved")]
AFTER = [("wards", "0005_units_in_time_constraints")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_inactive_and_merged_units_become_closed_units_with_lineage():
    old = migrate(BEFORE)
    try:
        province = old.get_model("wards", "Province").objects.create(
            code="01", name="Hà Nội"
        )
        Ward = old.get_model("wards", "Ward")
        kept = Ward.objects.create(code="00190", name="Ô Chợ Dừa", province=province)
        gone = Ward.objects.create(
            code="00200",
            name="Trung Phụng",
            province=province,
            active=False,
            merged_into=kept,
        )
        new = migrate(AFTER)
        Ward = new.get_model("wards", "Ward")
        assert Ward.objects.get(pk=gone.pk).valid_to == dt.date(2025, 6, 30)
        assert Ward.objects.get(pk=kept.pk).valid_to is None
        change = new.get_model("wards", "UnitChange").objects.get()
        assert (change.predecessor_id, change.successor_id, change.effective) == (
            gone.pk,
            kept.pk,
            dt.date(2025, 7, 1),
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

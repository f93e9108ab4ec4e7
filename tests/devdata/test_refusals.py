"""Demo and generated data refused or left out: tests on an empty database."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from criteria.models import Criterion
from devdata import demo, national
from wards.models import Province, Ward


@pytest.mark.django_db
def test_without_the_demo_there_are_no_demo_accounts():
    demo.load_reference_data(only_demo_provinces=True)
    assert not User.objects.filter(username__startswith="demo-").exists()
    assert Criterion.objects.count() == 22


@pytest.mark.django_db
def test_made_up_units_in_the_way_of_the_official_ones_are_said(settings):
    """As in a database made by the demo before it ran on the official units."""
    hanoi = Province.objects.create(code="01", name="Hà Nội")
    Ward.objects.create(code="00004", name="Phường Mẫu", province=hanoi)
    with pytest.raises(CommandError, match="start from an empty database"):
        call_command("setup_demo", verbosity=0)
    assert not User.objects.filter(username="demo-admin").exists()
    assert Ward.objects.count() == 1


@pytest.mark.django_db
def test_demo_data_is_refused_outside_development(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="never on a production database"):
        call_command("setup_demo", verbosity=0)
    assert not User.objects.filter(username="demo-admin").exists()


@pytest.mark.django_db
def test_the_generator_refuses_a_database_with_those_provinces():
    Province.objects.create(code="01", name="Hà Nội")
    with pytest.raises(ValueError, match="database of its own"):
        national.generate(years=[2026])


@pytest.mark.django_db
def test_make_bench_starts_again_from_the_invented_data_of_the_old_generator():
    call_command("generate_national", "--check", verbosity=0)  # empty: fine
    Province.objects.create(code="N01", name="Hà Nội")
    with pytest.raises(CommandError, match="invented") as caught:
        call_command("generate_national", "--check")
    assert caught.value.returncode == 3

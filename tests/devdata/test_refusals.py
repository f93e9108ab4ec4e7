"""Demo and generated data refused or left out: tests on an empty database."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from criteria.models import Criterion
from devdata import demo, national
from wards.models import Province


@pytest.mark.django_db
def test_without_the_demo_there_are_no_demo_accounts():
    demo.load_reference_data()
    assert not User.objects.filter(username__startswith="demo-").exists()
    assert Criterion.objects.count() == 22


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
        national.generate(years=[2026], total=70, biggest=4)

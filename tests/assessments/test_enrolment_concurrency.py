import threading

import pytest
from django.db import connection

from assessments.models import Enrolment
from assessments.services import enrol_ward
from tests.factories import WardFactory, make_criteria_set


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_enrolling_a_ward_twice_at_once_makes_one_enrolment():
    ward = WardFactory()
    criteria_set = make_criteria_set(22)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def enrol():
        try:
            barrier.wait()
            results.append(
                enrol_ward(
                    ward=ward, year=2026, criteria_set=criteria_set, track="ministry"
                ).pk
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    enrolment = Enrolment.objects.get()
    assert enrolment.assessments.count() == 22

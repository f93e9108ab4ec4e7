import pytest
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper

from access.models import Membership
from tests.factories import member


@pytest.fixture
def outage(monkeypatch):
    """Every query fails, as when the database server has gone away."""

    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    def start():
        monkeypatch.setattr(CursorWrapper, "execute", fail)
        monkeypatch.setattr(CursorWrapper, "executemany", fail)

    return start


@pytest.mark.django_db
def test_a_database_outage_is_a_clear_503(client, enrolment, outage, monkeypatch):
    client.raise_request_exception = False
    client.force_login(member(Membership.Role.NATIONAL_LEADER))
    assert client.get("/wards/").status_code == 200
    outage()
    response = client.get("/wards/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "cơ sở dữ liệu" in response.content.decode()
    monkeypatch.undo()
    assert client.get("/wards/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_serves_again_when_the_database_is_back(client, enrolment):
    """A real lost connection: requests get 503, then work, with no restart."""
    client.raise_request_exception = False
    client.force_login(member(Membership.Role.NATIONAL_LEADER))
    assert client.get("/wards/").status_code == 200
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        assert client.get("/wards/").status_code == 503
        assert client.get("/healthz").status_code == 503
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert client.get("/healthz").status_code == 200
    assert client.get("/wards/").status_code == 200

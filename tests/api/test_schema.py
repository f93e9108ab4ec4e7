"""The schema checked in at docs/api/openapi.json is the code's."""

import json

import pytest
from django.core.management import CommandError, call_command

from api.schema import SCHEMA_FILE, schema_text


def test_the_checked_in_schema_is_the_codes():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "docs/api/openapi.json is out of date: run `make api-schema` and commit it"
    )


def test_the_schema_lists_every_endpoint_as_get_only():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert set(schema["paths"]) == {
        "/api/v1/provinces",
        "/api/v1/provinces/{code}",
        "/api/v1/units",
        "/api/v1/units/{code}",
        "/api/v1/units/{code}/assessments",
        "/api/v1/criteria-sets",
        "/api/v1/criteria-sets/{code}",
        "/api/v1/enrolments",
        "/api/v1/decisions",
    }
    for path, operations in schema["paths"].items():
        assert set(operations) == {"get"}, path
        assert operations["get"]["security"] == [{"TokenAuth": []}], path


def test_the_command_checks_and_writes(tmp_path, monkeypatch, capsys):
    target = tmp_path / "openapi.json"
    monkeypatch.setattr("api.management.commands.api_schema.SCHEMA_FILE", target)
    target.write_text("{}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("api_schema", "--check")
    call_command("api_schema")
    assert target.read_text(encoding="utf-8") == schema_text()
    call_command("api_schema", "--check")

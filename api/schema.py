"""The OpenAPI schema of the API, as checked in at docs/api/openapi.json."""

import json
from pathlib import Path

from django.conf import settings
from django.utils import translation

SCHEMA_FILE = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.json"


def schema_text() -> str:
    """The schema the code describes, as the file holds it."""
    from .main import api

    with translation.override("en"):
        schema = api.get_openapi_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False, default=str) + "\n"

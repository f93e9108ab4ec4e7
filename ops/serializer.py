"""JSON rows with times to the microsecond, for backups.

Django's JSON serializer cuts times to milliseconds (as JavaScript does);
a backup must bring back exactly what was saved. Loading is Django's own
JSON deserializer, which reads both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.serializers import json as django_json
from django.core.serializers.json import DjangoJSONEncoder


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            text = o.isoformat()
            return (
                text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
            )
        return super().default(o)


class Serializer(django_json.Serializer):
    def _init_options(self) -> None:
        super()._init_options()
        self.json_kwargs["cls"] = ExactEncoder


Deserializer = django_json.Deserializer

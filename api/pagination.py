"""Pages of a list: `?page=2&page_size=50`, at most MAX_PAGE_SIZE a page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Pages(PaginationBase):
    """Page numbers from 1. A page past the end is empty; a page size over
    MAX_PAGE_SIZE is refused (422), so a client learns the limit at once."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params
    ) -> dict[str, Any]:
        start = (pagination.page - 1) * pagination.page_size
        return {
            "items": queryset[start : start + pagination.page_size],
            "count": self._items_count(queryset),
            "page": pagination.page,
            "page_size": pagination.page_size,
        }

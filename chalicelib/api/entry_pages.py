"""One page of a user's yubl entries (a feed, notifications) as the API answers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chalice import Response
from chalice.app import Request

from ..domain.feed import FeedEntry
from ..domain.paging import Page
from ..domain.validation import check_limit
from .responses import json_response, query_param

__all__ = ["entry_body", "entry_page", "read_page"]


T = TypeVar("T")


def read_page(request: Request, user_id: str, read: Callable[[str, int, str | None], T]) -> T:
    """``read`` called with the request's ``?limit=`` (checked) and ``?cursor=``."""
    return read(user_id, check_limit(query_param(request, "limit")), query_param(request, "cursor"))


def entry_page(
    request: Request, user_id: str, read: Callable[[str, int, str | None], Page[FeedEntry]]
) -> Response:
    """``?limit=&cursor=`` -> ``{"items": [yubl, ...], "next_cursor"}``, newest first."""
    return json_response(entry_body(read_page(request, user_id, read)))


def entry_body(page: Page[FeedEntry]) -> dict[str, Any]:
    """``{"items": [yubl, ...], "next_cursor"}`` of one page."""
    return {"items": [e.yubl.to_wire() for e in page.items], "next_cursor": page.next_cursor}

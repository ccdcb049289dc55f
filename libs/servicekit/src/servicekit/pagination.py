"""Cursor pagination: opaque cursors over a stable sort key, with a `next` link."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from starlette.datastructures import URL

from servicekit.problems import ProblemError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(default=None, description="URL of the next page; absent on the last page.")


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad base64, bad UTF-8 and bad JSON; RecursionError deeply nested JSON.
        raise _bad_cursor() from exc
    if not isinstance(value, dict):
        raise _bad_cursor()
    return value


def cursor_value(position: dict[str, Any], key: str, kind: type) -> Any:
    """One field of a decoded cursor, of the expected type; a tampered cursor is a 422, never a 500."""
    value = position.get(key)
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise _bad_cursor()
    return value


def _bad_cursor() -> ProblemError:
    return ProblemError(
        422,
        "invalid-cursor",
        "The cursor is not one this service issued; start again without it.",
        title="Request is not valid",
        errors=[{"field": "query.cursor", "message": "not a valid cursor", "type": "invalid_cursor"}],
    )


def next_link(url: URL, position: dict[str, Any] | None) -> str | None:
    if position is None:
        return None
    return str(url.include_query_params(cursor=encode_cursor(position)))


def paginate(rows: list[T], limit: int, key) -> tuple[list[T], dict[str, Any] | None]:
    """`rows` were fetched with limit + 1; returns the page and the position after it."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, key(page[-1])

"""Cursor pagination: opaque, signed cursors over a stable sort key, with a `next` link.

A cursor is the position after the last row of a page (a small JSON object) and an HMAC of it
and of the list's path, with the service's `cursor_secret`. A cursor the service did not issue
for that list (made up, edited, or from another list) is refused with 422 `invalid-cursor`
before any of its values reaches a query; the values are still checked for type and range, so
a leaked secret cannot turn into a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field, SecretStr

from servicekit.errors import ProblemError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 500
# Integer positions are database keys or offsets: never negative, and within a signed 64-bit column.
MAX_POSITION = 2**63 - 1
MAX_TEXT_POSITION = 1000
_TAG_BYTES = 16  # 128 bits of HMAC-SHA256: forging one is out of reach, the cursor stays short


class Request(Protocol):
    """What the cursor helpers read of a request (a Starlette request has it): its URL and app."""

    @property
    def url(self) -> Any: ...

    @property
    def app(self) -> Any: ...


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(default=None, description="URL of the next page; absent on the last page.")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


def _tag(key: bytes, scope: str, payload: str) -> bytes:
    return hmac.new(key, f"{scope}\n{payload}".encode(), hashlib.sha256).digest()[:_TAG_BYTES]


def encode_cursor(position: dict[str, Any], key: bytes, scope: str = "") -> str:
    """`payload.tag`, both base64url without padding; `scope` is the list's path."""
    payload = _b64(json.dumps(position, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_b64(_tag(key, scope, payload))}"


def decode_cursor(cursor: str | None, key: bytes, scope: str = "") -> dict[str, Any] | None:
    if not cursor:
        return None
    payload, dot, tag = cursor.partition(".")
    try:
        genuine = dot and hmac.compare_digest(_unb64(tag), _tag(key, scope, payload))
    except ValueError as exc:  # bad base64 (binascii.Error) or non-ASCII text
        raise _bad_cursor() from exc
    if not genuine:
        raise _bad_cursor()
    try:
        value = json.loads(_unb64(payload))
    except (ValueError, RecursionError) as exc:  # only a leaked key could sign these
        raise _bad_cursor() from exc
    if not isinstance(value, dict):
        raise _bad_cursor()
    return value


def cursor_key(request: Request) -> bytes:
    """The service's cursor signing key, from its settings (`cursor_secret`)."""
    secret: SecretStr = request.app.state.settings.cursor_secret
    return secret.get_secret_value().encode()


def read_cursor(request: Request, cursor: str | None) -> dict[str, Any] | None:
    """The position a `cursor` query parameter holds, if this service issued it for this path."""
    return decode_cursor(cursor, cursor_key(request), request.url.path)


def cursor_value(position: dict[str, Any], key: str, kind: type) -> Any:
    """One field of a decoded cursor, of the expected type and range; anything else is a 422."""
    value = position.get(key)
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise _bad_cursor()
    if isinstance(value, int) and not 0 <= value <= MAX_POSITION:
        raise _bad_cursor()
    if isinstance(value, str) and (len(value) > MAX_TEXT_POSITION or "\x00" in value):
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


def next_link(request: Request, position: dict[str, Any] | None) -> str | None:
    """The URL of the next page: this request's URL with a cursor signed for its path."""
    if position is None:
        return None
    cursor = encode_cursor(position, cursor_key(request), request.url.path)
    return str(request.url.include_query_params(cursor=cursor))


def paginate(rows: list[T], limit: int, key: Callable[[T], dict[str, Any]]) -> tuple[list[T], dict[str, Any] | None]:
    """`rows` were fetched with limit + 1; returns the page and the position after it."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, key(page[-1])

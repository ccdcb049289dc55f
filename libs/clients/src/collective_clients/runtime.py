"""What every generated operation returns and every sender reads: a `Call`, the request to make
and how to read its answer. Hand-written and small; the only module here that is not generated.

An operation only describes its request, so one generated client serves every way of sending it:
the web's async client (a token signed for the user, the request id, its exceptions), or a
service's sync one (recruitment-api reading framework-api). A sender builds the request with
`Call.build` on its own httpx client, decides what a refusal means, and reads a success with
`Call.read`, which raises `pydantic.ValidationError` (or `ValueError`) on an answer of the wrong
shape."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

T = TypeVar("T")

_FILENAME = re.compile(r'filename="?([^";]+)"?')


@dataclass(frozen=True)
class Download:
    """An answer passed on as it came: a CSV, or a JSON document without a schema of its own."""

    content: bytes
    media_type: str
    filename: str | None


@dataclass(frozen=True)
class Tagged(Generic[T]):
    """An answer with the ETag to send back as If-Match when changing what it describes."""

    value: T
    etag: str | None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One operation of a service: the request (`params` and `headers` of None are left out) and
    `read`, which turns a success into the operation's typed answer."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str | None] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    accept: str = "application/json"
    timeout: float | None = None

    def with_timeout(self, seconds: float) -> Call[T]:
        """The same call with its own time limit (a bulk import takes longer than a read)."""
        return replace(self, timeout=seconds)

    def build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        *,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Request:
        """The request on `http`, with the sender's `headers` added; the call's own timeout, if it
        has one, wins over `timeout`."""
        params = {name: value for name, value in self.params.items() if value is not None}
        own = {name: value for name, value in self.headers.items() if value is not None}
        limit = self.timeout if self.timeout is not None else timeout
        return http.build_request(
            self.method,
            base_url.rstrip("/") + self.path,
            params=params,
            json=self.json,
            content=self.content,
            headers={"Accept": self.accept, **own, **(headers or {})},
            timeout=limit if limit is not None else httpx.USE_CLIENT_DEFAULT,
        )


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def json_as(kind: Any) -> Callable[[httpx.Response], Any]:
    """Read the JSON answer as `kind` (a model, `list[Model]`, or a union of models)."""
    adapter = _adapter(kind)
    return lambda response: adapter.validate_json(response.content)


def tagged_as(kind: Any) -> Callable[[httpx.Response], Tagged[Any]]:
    """Read the JSON answer as `kind`, with its ETag."""
    adapter = _adapter(kind)
    return lambda response: Tagged(adapter.validate_json(response.content), response.headers.get("etag"))


def download(response: httpx.Response) -> Download:
    match = _FILENAME.search(response.headers.get("content-disposition", ""))
    media_type = response.headers.get("content-type", "application/octet-stream")
    return Download(response.content, media_type, match.group(1) if match else None)


def nothing(response: httpx.Response) -> None:
    """An answer without a body (204)."""
    return None


def body_of(model: BaseModel) -> Any:
    """A request body as JSON: the fields that were set, by their names on the wire. The service
    judges the values (its 422 names each field), so a body built with `model_construct` from what
    a person typed is sent as it is."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)


def text_body(text: str) -> bytes:
    return text.encode("utf-8")


def path_part(value: object) -> str:
    """A value as one segment of a path."""
    return quote(str(value), safe="")

"""The NUL character (U+0000) is refused at the request edge, the same way on SQLite and PostgreSQL.

PostgreSQL cannot store NUL in text and SQLite can, so without this the same request is stored
on one and refused on the other. `NulGuardMiddleware` answers 422 naming the field when a query
string, a JSON body, a CSV or text body, or a URL-encoded form holds a NUL. It reads the body as
the app reads it (no extra buffering beyond what naming a field needs), so the body size limit
still comes first. Multipart bodies are left to the app: their files may be binary.

`servicekit.db.refuse_nul_parameters` is the backstop for SQLite: an engine listener that refuses a statement
whose parameters hold a NUL with the same DataError PostgreSQL's driver raises, so anything that
slips past the edge (a CLI, a seed) behaves as it would on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.problems import problem_response

NUL = "\x00"
MESSAGE = "Text may not contain the NUL character (U+0000)"
NUL_ERROR_TYPE = "nul_character"
# Enough of a body to name the field that holds the NUL; past it only `body` is named.
NAMING_LIMIT = 10 * 1024 * 1024

Respond = Callable[[Request, list[dict[str, Any]]], Awaitable[Response]]


class _NulFound(Exception):
    def __init__(self, fields: list[str]) -> None:
        self.fields = fields


def nul_errors(fields: list[str]) -> list[dict[str, Any]]:
    """Problem `errors` for the fields named; `body:<line>` is a line of a CSV or text body."""
    errors = []
    for field in fields:
        if field.startswith("body:"):
            line = int(field.removeprefix("body:"))
            errors.append({"field": "body", "row": line, "message": f"{MESSAGE}: line {line}", "type": NUL_ERROR_TYPE})
        else:
            errors.append({"field": field, "message": MESSAGE, "type": NUL_ERROR_TYPE})
    return errors


async def problem_respond(request: Request, errors: list[dict[str, Any]]) -> Response:
    named = ", ".join(dict.fromkeys(e["field"] for e in errors[:5]))
    return problem_response(request, 422, "validation-error", "Request is not valid", f"{MESSAGE}: {named}.", errors)


def _json_paths(value: Any, path: str) -> Iterator[str]:
    """Where a parsed JSON document holds a NUL, in keys or string values (as `body.a.0.b`)."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, f"{path}.{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield path
            yield from _json_paths(item, f"{path}.{key}")


def query_fields(query_string: bytes, prefix: str = "query") -> list[str]:
    """`query.<name>` (or `body.<name>` for a form) of each parameter holding a NUL."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return list(dict.fromkeys(f"{prefix}.{name.replace(NUL, '')}" for name, value in pairs if NUL in name + value))


def _kind(scope: Scope) -> str | None:
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type == b"application/json" or content_type.endswith(b"+json"):
        return "json"
    if content_type in (b"text/csv", b"application/csv", b"text/plain"):
        return "text"
    if content_type == b"application/x-www-form-urlencoded":
        return "form"
    return None


class _BodyScanner:
    """Looks at each chunk as the app reads it; keeps the body only as far as naming needs."""

    # How a NUL looks in each kind of raw body (a JSON escape may also be a literal `\\u0000`,
    # so a JSON hit is confirmed by parsing).
    SIGNS = {"json": (b"\\u0000",), "text": (b"\x00",), "form": (b"%00", b"\x00")}

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.signs = self.SIGNS[kind]
        self.kept = bytearray()
        self.tail = b""
        self.seen = False
        self.lines = 0  # newlines before the current chunk (text bodies: the line of the NUL)
        self.nul_line: int | None = None
        self.overflowed = False  # the body outgrew NAMING_LIMIT: name only `body`

    def feed(self, chunk: bytes) -> None:
        window = self.tail + chunk
        if not self.seen and any(sign in window for sign in self.signs):
            self.seen = True
            if self.kind == "text":
                self.nul_line = self.lines + chunk[: chunk.find(b"\x00") + 1].count(b"\n") + 1
        if self.kind == "text":
            self.lines += chunk.count(b"\n")
        elif not self.overflowed and len(self.kept) + len(chunk) <= NAMING_LIMIT:
            self.kept += chunk
        else:
            self.kept = bytearray()
            self.overflowed = True
        self.tail = window[-6:]

    def fields(self) -> list[str]:
        """The fields holding a NUL, once the whole body has been seen ([] when none)."""
        if not self.seen:
            return []
        if self.kind == "text":
            return [f"body:{self.nul_line}"]
        if self.overflowed:
            return ["body"]
        if self.kind == "form":
            return query_fields(bytes(self.kept), "body") or ["body"]
        try:
            document = json.loads(self.kept)
        except (ValueError, RecursionError):
            return []  # not JSON: the app says so
        return list(dict.fromkeys(_json_paths(document, "body")))


class NulGuardMiddleware:
    """422 for a NUL in the query string or in a JSON, CSV, text or URL-encoded form body."""

    def __init__(self, app: ASGIApp, respond: Respond = problem_respond) -> None:
        self.app = app
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields = query_fields(scope.get("query_string", b""))
        if fields:
            await self._refuse(scope, receive, send, fields)
            return
        kind = _kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return

        scanner = _BodyScanner(kind)
        found: list[str] = []
        response_started = False

        async def scanning_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                scanner.feed(message.get("body", b""))
                if not message.get("more_body", False) and (named := scanner.fields()):
                    found.extend(named)
                    raise _NulFound(named)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if found and not response_started:
                return  # the app's answer to the interrupted read is replaced by the 422
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, scanning_receive, guarded_send)
        except Exception:
            if not found or response_started:
                raise
        if found and not response_started:
            await self._refuse(scope, receive, send, found)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, fields: list[str]) -> None:
        response = await self.respond(Request(scope), nul_errors(fields))
        await response(scope, receive, send)


def install_nul_guard(app: Any, *, inside: type | None = None, respond: Respond = problem_respond) -> None:
    """Add the guard just inside the middleware `inside` (e.g. the body size limit, so a body over
    the limit is refused before it is scanned, and the request id and access log cover the 422);
    outermost when there is none. Call before the app serves its first request."""
    from starlette.middleware import Middleware

    guard = Middleware(NulGuardMiddleware, respond=respond)
    stack = app.user_middleware
    position = next((n + 1 for n, entry in enumerate(stack) if entry.cls is inside), 0)
    stack.insert(position, guard)

"""Strong ETags, If-None-Match (304) and If-Match (412 / 428) helpers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Protocol

from servicekit.errors import ProblemError


class Request(Protocol):
    """What the precondition helpers read of a request (a Starlette request has it)."""

    @property
    def headers(self) -> Mapping[str, str]: ...


def strong_etag(content: bytes | str | Any) -> str:
    if isinstance(content, str):
        content = content.encode()
    elif not isinstance(content, bytes):
        content = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _listed(header: str) -> list[str]:
    return [part.strip() for part in header.split(",") if part.strip()]


def not_modified(request: Request, etag: str) -> bool:
    """True when the client's If-None-Match already names this representation."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = _listed(header)
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def check_if_match(request: Request, current: str, *, required: bool = False) -> None:
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise ProblemError(
                428,
                "precondition-required",
                "Send If-Match with the ETag you last read, so a concurrent change is not overwritten.",
                title="Precondition required",
            )
        return
    tags = _listed(header)
    if "*" not in tags and current not in tags:
        raise ProblemError(
            412,
            "precondition-failed",
            "The resource has changed since you read it; read it again and retry.",
            title="Precondition failed",
            current_etag=current,
        )

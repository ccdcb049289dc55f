"""Bodies of bulk imports, read the same way by every service: the content type (415 for another),
CSV as UTF-8, JSON rows checked by a model with problems numbered by row, and the streamed,
idempotent import that reads a large body into a spooled file and does the work in a thread."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable
from typing import IO, Any, TypeVar

import anyio
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from servicekit.auth import Principal
from servicekit.errors import NOT_JSON, ProblemError, unprocessable
from servicekit.idempotency import Idempotency

CSV = "text/csv"
JSON = "application/json"
SPOOL_IN_MEMORY = 1_048_576  # a bigger body goes to a temporary file while it is read
MAX_LISTED_PROBLEMS = 1000

Model = TypeVar("Model", bound=BaseModel)


def media_type(request: Request, accepted: tuple[str, ...], detail: str | None = None) -> str:
    """The request's media type (parameters dropped, lower case) when it is one of `accepted`;
    415 otherwise, saying which to send (in the order of `accepted`)."""
    found = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if found not in accepted:
        raise ProblemError(
            415,
            "unsupported-media-type",
            detail or f"Send {' or '.join(accepted)}.",
            title="Unsupported media type",
        )
    return found


def csv_text(raw: bytes, encoding: str = "utf-8") -> str:
    """The CSV body as text; 422 `csv-invalid` when it is not UTF-8."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise unprocessable(
            "The CSV must be UTF-8 encoded.",
            [{"row": None, "field": "body", "message": "not UTF-8"}],
            slug="csv-invalid",
        ) from exc


def rows_invalid(exc: ValidationError, detail: str) -> ProblemError:
    """422 `import-invalid` for a JSON import its model refused: one problem per error, numbered by
    the row of the list it is in (`body.<list>.<index>...`). `detail` takes `{count}`."""
    errors = [
        {
            "row": e["loc"][1] + 1 if len(e["loc"]) > 1 and isinstance(e["loc"][1], int) else None,
            "field": "body." + ".".join(str(p) for p in e["loc"]),
            "message": e["msg"],
        }
        for e in exc.errors()
    ]
    return unprocessable(detail.format(count=len(errors)), errors[:MAX_LISTED_PROBLEMS], slug="import-invalid")


def json_body(model: type[Model], raw: bytes, detail: str) -> Model:
    """The JSON body read by `model`: 422 when it is not JSON, `rows_invalid` when the model refuses it."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise unprocessable(NOT_JSON + ".", [{"field": "body", "message": NOT_JSON}]) from exc
        raise rows_invalid(exc, detail) from exc


async def spool(request: Request) -> tuple[tempfile.SpooledTemporaryFile[bytes], str]:
    """The body, read as it arrives into a spooled temporary file, and its SHA-256."""
    spooled: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (closed by the caller)
    digest = hashlib.sha256()
    async for chunk in request.stream():
        digest.update(chunk)
        spooled.write(chunk)
    spooled.seek(0)
    return spooled, digest.hexdigest()


def text_of(body: IO[bytes]) -> io.TextIOWrapper:
    """A CSV body read as UTF-8 text, line endings left to the csv module."""
    return io.TextIOWrapper(body, encoding="utf-8", newline="")


async def streamed_import(
    request: Request,
    session: Session,
    principal: Principal,
    idempotency_key: str | None,
    operation: str,
    work: Callable[[str, IO[bytes]], Any],
) -> Response:
    """A bulk import of CSV or JSON under an `Idempotency-Key`, answered 201 with its result.

    The body is spooled as it arrives (the key's fingerprint is its SHA-256 and media type); then, in
    a worker thread, a stored response is replayed, or `work(media_type, body)` does the import and
    returns the JSON-able result, which is remembered and committed with the work."""
    found = media_type(request, (CSV, JSON))
    spooled, digest = await spool(request)

    def run() -> Response:
        with spooled:
            idem = Idempotency(session, principal, idempotency_key, operation, {"sha256": digest, "type": found})
            if replayed := idem.replay():
                return replayed
            return idem.respond(201, work(found, spooled))

    return await anyio.to_thread.run_sync(run)

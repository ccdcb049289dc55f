"""RFC 9457 problem details for every error a service returns, validation included: the handlers
at the edge that render `servicekit.errors` (and FastAPI's own refusals) as application/problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.errors import (
    NOT_JSON,
    PROBLEM_MEDIA_TYPE,
    RETRY_AFTER_SECONDS,
    DatabaseBusy,
    ProblemError,
    is_database_unavailable,
    problem_type,
)

REQUEST_ID_HEADER = "X-Request-ID"


class FieldError(BaseModel):
    field: str | None = Field(description="Where the error is: body.items.0.statement, query.limit, a CSV column ...")
    row: int | None = Field(default=None, description="For CSV imports: the row, counting the header as row 1.")
    message: str
    type: str | None = None


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str = Field(examples=[problem_type("not-found")])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["No framework version with that id."])
    instance: str | None = None
    errors: list[FieldError] | None = None

    model_config = {"extra": "allow"}


def problem_response(
    request: Request | None,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
    if errors is not None:
        body["errors"] = errors
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    # An empty part (a JSON object key "") would make `body.` and read as a typo; leave it out.
    return ".".join(str(part) for part in loc if str(part) != "")


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            # FastAPI puts the character offset of the fault in the location (`body.10`): it is no
            # field. Name the body, as the bulk imports do, and give the offset in words.
            where = f" (at character {loc[1]})" if len(loc) > 1 and isinstance(loc[1], int) else ""
            errors.append({"field": "body", "message": NOT_JSON + where, "type": "json_invalid"})
            continue
        errors.append({"field": _field_path(loc), "message": err.get("msg", "invalid"), "type": err.get("type")})
    return errors


async def _problem_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        exc.errors,
        exc.headers,
        **exc.extensions,
    )


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        detail = NOT_JSON + "."
    else:
        # Fields first, then the full stop after a bracket: "body." would read as a field name.
        named = ", ".join(dict.fromkeys(e["field"] for e in errors[:5]))
        detail = f"Check these fields: {named} (see errors)."
    return problem_response(request, 422, "validation-error", "Request is not valid", detail, errors)


_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "content-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


async def _http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    return problem_response(
        request,
        status,
        _SLUGS.get(status, "http-error"),
        title,
        detail,
        headers=getattr(exc, "headers", None),
    )


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    # Never a stack trace, SQL or secret in a response; the log has the detail and the request id.
    import structlog
    from asgi_correlation_id import correlation_id

    structlog.get_logger("servicekit").exception("unhandled_error", path=request.url.path)
    # Starlette answers unhandled errors outside every middleware, so the request id middleware
    # never sees this response: name the id here, or the client cannot quote it.
    request_id = correlation_id.get()
    extensions: dict[str, Any] = {"request_id": request_id} if request_id else {}
    return problem_response(
        request,
        500,
        "internal-error",
        "Internal server error",
        "Something went wrong on our side; the request id in the logs identifies it.",
        headers={REQUEST_ID_HEADER: request_id} if request_id else None,
        **extensions,
    )


async def _unstorable_value_handler(request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value that passed validation (PostgreSQL: a NUL character in text, a
    # number out of range). The transaction is rolled back, so nothing was written.
    detail = "A value in the request cannot be stored"
    if "NUL" in str(getattr(exc, "orig", exc)):
        detail += ": text may not contain the NUL character (U+0000)"
    return problem_response(request, 422, "unstorable-value", "Request is not valid", detail + ".", [])


def database_unavailable(request: Request | None) -> JSONResponse:
    return problem_response(
        request,
        503,
        "service-unavailable",
        "Service unavailable",
        "The service cannot reach its database just now; nothing was changed. Try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not is_database_unavailable(exc):
        return await _unhandled_handler(request, exc)
    import structlog

    structlog.get_logger("servicekit").warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    return database_unavailable(request)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error_handler)
    app.add_exception_handler(DataError, _unstorable_value_handler)
    for database_error in (DatabaseBusy, DBAPIError, PoolTimeout):
        app.add_exception_handler(database_error, _database_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(Exception, _unhandled_handler)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem bodies for the given statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }

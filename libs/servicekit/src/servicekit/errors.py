"""The refusals a service raises, free of any web framework: domain code raises them, and the edge
(`servicekit.problems`, installed by `create_service_app`) renders them as RFC 9457 problems."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

PROBLEM_BASE = "https://collective.hscni.net/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# Seconds a client should wait before trying again when the database cannot answer.
RETRY_AFTER_SECONDS = 2
NOT_JSON = "The body is not valid JSON"


def problem_type(slug: str) -> str:
    return PROBLEM_BASE + slug


class ProblemError(Exception):
    """Raised by routes and services; rendered as application/problem+json."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or slug)
        self.status = status
        self.slug = slug
        self.title = title or slug.replace("-", " ").capitalize()
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extensions = extensions


# The common refusals, named once so every service words them the same way.
def not_found(what: str) -> ProblemError:
    return ProblemError(404, "not-found", f"No {what} with that identifier.", title="Not found")


def conflict(slug: str, detail: str, **extensions: Any) -> ProblemError:
    return ProblemError(409, slug, detail, **extensions)


def unprocessable(
    detail: str, errors: list[dict[str, Any]] | None = None, slug: str = "validation-error"
) -> ProblemError:
    return ProblemError(422, slug, detail, title="Request is not valid", errors=errors)


class DatabaseBusy(Exception):
    """No connection came free in time: the request is answered 503 with Retry-After."""


def is_database_unavailable(exc: BaseException) -> bool:
    """The database did not answer (unreachable, restarting, every connection busy, SQLite's lock
    held too long), as opposed to refusing what was asked of it."""
    if isinstance(exc, DatabaseBusy | OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated

"""The request parameters every service's routes share, declared once: the caller (a bearer token
with scopes), the database session, paging, and the `Idempotency-Key` and `If-Match` headers.

A service names its principals once, in its `deps.py`, from its `Scope` enumeration:

    Reader = Annotated[Principal, require(Scope.READ)]

(an `Annotated` alias written out, rather than one a function returns, so type checkers accept it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from servicekit.auth import Principal, authenticate, unauthorized
from servicekit.db import database_of
from servicekit.errors import ProblemError
from servicekit.idempotency import MAX_KEY_LENGTH
from servicekit.pagination import MAX_CURSOR_LENGTH, MAX_LIMIT

_bearer = HTTPBearer(auto_error=False, description="A JWT with scopes and an `org` claim.")


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Dependency: the caller of a request, from its bearer token (401 without a good one)."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized("A bearer token is required.", error=None)
    principal = await authenticate(request.app.state, credentials.credentials)
    request.state.principal = principal
    return principal


class RequireScopes:
    """Dependency: the caller must hold every scope named (403 otherwise)."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes

    async def __call__(self, principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        missing = [s for s in self.scopes if not principal.has(s)]
        if missing:
            raise ProblemError(
                403,
                "insufficient-scope",
                f"This operation needs the scope(s): {', '.join(missing)}.",
                title="Forbidden",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(self.scopes)}"'},
            )
        return principal


def require(*scopes: str) -> Any:
    """The dependency of a principal alias: `Annotated[Principal, require(Scope.READ)]`."""
    return Depends(RequireScopes(*scopes))


async def session_dependency(request: Request) -> AsyncIterator[Session]:
    """One session per request, released as soon as the route returns (use with
    `Depends(session_dependency, scope="function")`); what the route did not commit is rolled back."""
    async with database_of(request.app).session() as session:
        yield session


# Function scope: the session closes when the route returns, before the response is sent.
SessionDep = Annotated[Session, Depends(session_dependency, scope="function")]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[
    str | None, Query(max_length=MAX_CURSOR_LENGTH, description="From the `next` link of the previous page.")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=MAX_KEY_LENGTH,
        description="Repeat a create safely: same key and body replay it.",
    ),
]
# Optional to FastAPI so that a missing header is our 428 precondition-required, not a 422.
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Required: the ETag you last read (428 without it, 412 if the resource changed since).",
    ),
]

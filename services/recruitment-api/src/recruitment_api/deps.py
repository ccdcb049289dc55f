"""Route dependencies shared by every domain: scopes and the common path lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from servicekit.auth import Principal, RequireScopes
from servicekit.pagination import MAX_LIMIT

READ, SCORE, ADMIN, EQUALITY_READ, EQUALITY_WRITE = (
    "recruitment:read",
    "recruitment:score",
    "recruitment:admin",
    "equality:read",
    "equality:write",
)

Reader = Annotated[Principal, Depends(RequireScopes(READ))]
Scorer = Annotated[Principal, Depends(RequireScopes(SCORE))]
Admin = Annotated[Principal, Depends(RequireScopes(ADMIN))]
EqualityReader = Annotated[Principal, Depends(RequireScopes(EQUALITY_READ))]
EqualityWriter = Annotated[Principal, Depends(RequireScopes(EQUALITY_WRITE))]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, Query(max_length=500, description="From the `next` link of the previous page.")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Repeat a create safely: same key and body replay it."),
]
# Optional to FastAPI so that a missing header is our 428 precondition-required, not a 422.
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Required: the ETag you last read (428 without it, 412 if the resource changed since).",
    ),
]

"""Route dependencies shared by every domain: scopes, paging and the HTTP precondition headers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from servicekit.auth import Principal, RequireScopes
from servicekit.pagination import MAX_LIMIT

READ, WRITE, ADMIN, REGIONAL = (
    "monitoring:read",
    "monitoring:write",
    "monitoring:admin",
    "monitoring:regional",
)

Reader = Annotated[Principal, Depends(RequireScopes(READ))]
Writer = Annotated[Principal, Depends(RequireScopes(WRITE))]
Admin = Annotated[Principal, Depends(RequireScopes(ADMIN))]

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

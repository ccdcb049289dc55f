"""`Idempotency-Key` on creates and bulk imports.

The same key with the same body replays the stored response; the same key with another body is
refused (422); a key still being processed by a concurrent request is refused (409).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, delete, select
from starlette.responses import JSONResponse

from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import rowcount
from servicekit.errors import ProblemError

MAX_KEY_LENGTH = 200
# How long a stored response is replayed by default: a client retries within minutes or hours, and
# a day covers a retry after an overnight outage. `purge_idempotency` removes what is older.
DEFAULT_RETENTION = timedelta(hours=24)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("client", "key", name="uq_idempotency_client_key"),)

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=300)
    key: str = Field(max_length=MAX_KEY_LENGTH)
    operation: str = Field(max_length=300)
    fingerprint: str = Field(max_length=64)
    status_code: int
    response: Any = Field(sa_column=Column(JSON))
    headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)


def fingerprint(body: Any) -> str:
    """A stable digest of a request body: raw bytes, or any JSON-able value (pydantic models,
    dataclasses, UUIDs and datetimes included), independent of the order of object keys."""
    if isinstance(body, bytes):
        raw = body
    else:
        plain = to_jsonable_python(body, fallback=str)
        raw = json.dumps(plain, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(raw).hexdigest()


class Idempotency:
    """Use in a create route: `replay()` before the work, then `respond()` (or `remember()` before
    `commit()`)."""

    def __init__(self, session: Session, principal: Principal, key: str | None, operation: str, body: Any) -> None:
        if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
            raise ProblemError(
                422,
                "validation-error",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                title="Request is not valid",
                errors=[
                    {
                        "field": "header.idempotency-key",
                        "message": "bad length",
                        "type": "string_length",
                    }
                ],
            )
        self.session = session
        self.client = f"{principal.org}:{principal.subject}"
        self.key = key
        self.operation = operation
        self.fingerprint = fingerprint(body)

    def replay(self) -> JSONResponse | None:
        if self.key is None:
            return None
        stored = self.session.exec(
            select(IdempotencyRecord).where(IdempotencyRecord.client == self.client, IdempotencyRecord.key == self.key)
        ).first()
        if stored is None:
            return None
        if stored.fingerprint != self.fingerprint or stored.operation != self.operation:
            raise ProblemError(
                422,
                "idempotency-key-reused",
                "This Idempotency-Key was already used with a different request; use a new key.",
                title="Idempotency key reused",
            )
        headers = dict(stored.headers or {})
        headers["Idempotent-Replayed"] = "true"
        return JSONResponse(stored.response, status_code=stored.status_code, headers=headers)

    def remember(self, status_code: int, response: Any, headers: dict[str, str] | None = None) -> None:
        if self.key is None:
            return
        self.session.add(
            IdempotencyRecord(
                client=self.client,
                key=self.key,
                operation=self.operation,
                fingerprint=self.fingerprint,
                status_code=status_code,
                response=response,
                headers=headers,
            )
        )

    def respond(
        self,
        status_code: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        *,
        unstored: dict[str, str] | None = None,
    ) -> JSONResponse:
        """Remember the response, commit the work and the record together, and return the response.

        `headers` are stored and replayed (a Location); `unstored` are sent this once only (an ETag,
        which a later replay would state stale)."""
        self.remember(status_code, payload, headers)
        self.commit()
        sent = {**(headers or {}), **(unstored or {})}
        return JSONResponse(payload, status_code=status_code, headers=sent or None)

    def commit(self) -> None:
        """Commit the work and the record together; a concurrent twin loses with 409."""
        try:
            self.session.commit()
        except IntegrityError as exc:
            self.session.rollback()
            message = str(exc.orig)
            ours = "idempotency_record" in message or "uq_idempotency" in message
            if self.key is None or not ours:
                raise
            raise ProblemError(
                409,
                "idempotency-key-in-use",
                "A request with this Idempotency-Key was processed concurrently; retry to get its response.",
                title="Conflict",
            ) from exc


def purge_idempotency(
    session: Session, older_than: timedelta = DEFAULT_RETENTION, *, now: datetime | None = None
) -> int:
    """Delete the idempotency records stored more than `older_than` ago and commit; returns how
    many. A key used again after that is a new request. Both services' `purge-idempotency` call it."""
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive: a record must be kept long enough to replay")
    cutoff = (now or utcnow()) - older_than
    removed = rowcount(session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < cutoff)))
    session.commit()
    return removed

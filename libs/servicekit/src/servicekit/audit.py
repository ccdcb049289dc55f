"""The append-only audit record every write appends to.

Each record names the actor, the time, the action, the target, and the target before and after.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from alembic.operations import Operations
from asgi_correlation_id import correlation_id
from pydantic_core import to_jsonable_python
from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from servicekit.auth import Principal


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuditRecord(SQLModel, table=True):
    __tablename__ = "audit_record"

    id: int | None = Field(default=None, primary_key=True)
    uid: uuid.UUID = Field(default_factory=uuid.uuid4, unique=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=200)
    org: str = Field(max_length=50, index=True)
    action: str = Field(max_length=100)
    target_type: str = Field(max_length=100)
    target_id: str = Field(max_length=100, index=True)
    request_id: str | None = Field(default=None, max_length=100)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


def record(
    session: Session,
    principal: Principal,
    action: str,
    target_type: str,
    target_id: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """Add an audit row to the caller's transaction: it commits or rolls back with the change."""
    entry = AuditRecord(
        actor=principal.subject,
        org=principal.org,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        request_id=correlation_id.get(),
        # JSON columns cannot store UUIDs, datetimes or models: keep their JSON form.
        before=to_jsonable_python(before) if before is not None else None,
        after=to_jsonable_python(after) if after is not None else None,
    )
    session.add(entry)
    return entry


def create_append_only_guard(op: Operations) -> None:
    """Migration helper: the database itself refuses UPDATE and DELETE on audit_record."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_record_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'audit_record is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_record "
            "FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()"
        )
        # Row triggers do not fire on TRUNCATE; a statement trigger does.
        op.execute(
            "CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_record_append_only()"
        )
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_record_no_{verb.lower()} BEFORE {verb} ON audit_record "
                "BEGIN SELECT RAISE(ABORT, 'audit_record is append-only'); END"
            )


def drop_append_only_guard(op: Operations) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_record")
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_change ON audit_record")
        op.execute("DROP FUNCTION IF EXISTS audit_record_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_record_no_delete")

"""Audit records are appended with every write, and the database refuses to change them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, select

from servicekit import audit
from servicekit.audit import AuditRecord, create_append_only_guard, drop_append_only_guard
from servicekit.auth import Principal
from servicekit.db import make_engine
from support import fresh_database

PRINCIPAL = Principal(subject="auditor", org="BHSCT", scopes=frozenset())


def records_for(engine, target_id: str) -> list[AuditRecord]:
    with Session(engine) as session:
        return list(
            session.exec(select(AuditRecord).where(AuditRecord.target_id == target_id).order_by(AuditRecord.id))
        )


# --- over HTTP -----------------------------------------------------------------------------


def test_create_and_update_append_audit_records(sk_client, sk_engine, keys):
    writer = keys.headers("things:read", "things:write", subject="alice", org="SHSCT")
    created = sk_client.post(
        "/things", json={"name": "audited", "size": 1}, headers={**writer, "X-Request-ID": "1" * 32}
    )
    assert created.status_code == 201
    thing = created.json()
    updated = sk_client.patch(
        f"/things/{thing['id']}",
        json={"size": 2},
        headers={**writer, "If-Match": created.headers["etag"]},
    )
    assert updated.status_code == 200

    first, second = records_for(sk_engine, thing["id"])
    assert (first.actor, first.org, first.action, first.target_type) == (
        "alice",
        "SHSCT",
        "thing.create",
        "thing",
    )
    assert first.before is None
    assert first.after == thing
    assert first.request_id == "1" * 32
    assert (second.action, second.before, second.after) == (
        "thing.update",
        thing,
        {**thing, "size": 2},
    )
    assert second.request_id == updated.headers["x-request-id"]
    assert isinstance(first.uid, uuid.UUID)
    assert first.uid != second.uid
    assert first.at <= second.at


def test_refused_write_appends_nothing(sk_client, sk_engine, keys, make_thing):
    thing = make_thing()
    writer = keys.headers("things:read", "things:write")
    refused = sk_client.patch(f"/things/{thing['id']}", json={"size": 5}, headers={**writer, "If-Match": '"stale"'})
    assert refused.status_code == 412
    assert [record.action for record in records_for(sk_engine, thing["id"])] == ["thing.create"]


# --- record() on its own -------------------------------------------------------------------


def test_record_joins_the_callers_transaction(sk_engine):
    target = f"t-{uuid.uuid4()}"
    with Session(sk_engine) as session:
        entry = audit.record(session, PRINCIPAL, "x.create", "x", target, after={"a": 1})
        assert entry.request_id is None  # outside a request
        session.rollback()
    assert records_for(sk_engine, target) == []
    with Session(sk_engine) as session:
        audit.record(session, PRINCIPAL, "x.create", "x", target, after={"a": 1})
        session.commit()
    assert len(records_for(sk_engine, target)) == 1


def test_record_stores_rich_values_as_json(sk_engine):
    ref, at = uuid.uuid4(), datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    target = uuid.uuid4()
    with Session(sk_engine) as session:
        audit.record(session, PRINCIPAL, "x.update", "x", target, before={"ref": ref}, after={"at": at})
        session.commit()
    (stored,) = records_for(sk_engine, str(target))
    assert stored.target_id == str(target)
    assert stored.before == {"ref": str(ref)}
    assert stored.after == {"at": "2025-03-04T05:06:07Z"}


# --- the append-only guard -----------------------------------------------------------------


@pytest.fixture
def guarded_engine(tmp_path):
    """A database of its own with audit_record and the guard, installed through alembic ops."""
    with fresh_database(tmp_path, "audit_guard") as url:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine, tables=[AuditRecord.__table__])
        with engine.begin() as connection:
            create_append_only_guard(Operations(MigrationContext.configure(connection)))
        with Session(engine) as session:
            audit.record(session, PRINCIPAL, "x.create", "x", "guarded", after={"v": 1})
            session.commit()
        yield engine
        engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_record SET actor = 'mallory'",
        "UPDATE audit_record SET after = NULL WHERE target_id = 'guarded'",
        "DELETE FROM audit_record",
        "DELETE FROM audit_record WHERE target_id = 'guarded'",
    ],
)
def test_guard_refuses_update_and_delete(guarded_engine, statement):
    with pytest.raises(DBAPIError, match="append-only"), guarded_engine.begin() as connection:
        connection.execute(sa.text(statement))
    (record,) = records_for(guarded_engine, "guarded")
    assert (record.actor, record.after) == ("auditor", {"v": 1})


def test_guard_refuses_orm_changes(guarded_engine):
    with Session(guarded_engine) as session:
        record = session.exec(select(AuditRecord)).one()
        record.actor = "mallory"
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()


def test_guard_still_allows_appending(guarded_engine):
    with Session(guarded_engine) as session:
        audit.record(session, PRINCIPAL, "x.update", "x", "guarded", after={"v": 2})
        session.commit()
    assert len(records_for(guarded_engine, "guarded")) == 2


def test_guard_refuses_truncate_on_postgresql(guarded_engine):
    if guarded_engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    with pytest.raises(DBAPIError, match="append-only"), guarded_engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE audit_record"))


def test_dropping_the_guard_allows_changes_again(guarded_engine):
    with guarded_engine.begin() as connection:
        drop_append_only_guard(Operations(MigrationContext.configure(connection)))
    with guarded_engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_record"))
    assert records_for(guarded_engine, "guarded") == []
    # Dropping twice is harmless (downgrade after a partial upgrade).
    with guarded_engine.begin() as connection:
        drop_append_only_guard(Operations(MigrationContext.configure(connection)))

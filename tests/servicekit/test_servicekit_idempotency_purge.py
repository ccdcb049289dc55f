"""Idempotency records do not pile up for ever: `purge_idempotency` removes those older than the
retention age (issue 6 §8), and a key used after that is a new request."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from servicekit.audit import utcnow
from servicekit.idempotency import DEFAULT_RETENTION, IdempotencyRecord, purge_idempotency


def _record(session: Session, key: str, age: timedelta) -> None:
    session.add(
        IdempotencyRecord(
            client="BHSCT:tester",
            key=key,
            operation="POST /things",
            fingerprint="0" * 64,
            status_code=201,
            response={"ok": True},
            created_at=utcnow() - age,
        )
    )


def test_records_older_than_the_age_go_and_newer_ones_stay(sk_engine):
    run = uuid.uuid4().hex[:8]
    with Session(sk_engine) as session:
        _record(session, f"old-{run}", DEFAULT_RETENTION + timedelta(minutes=1))
        _record(session, f"new-{run}", DEFAULT_RETENTION - timedelta(minutes=1))
        _record(session, f"week-{run}", timedelta(days=7))
        session.commit()

        assert purge_idempotency(session, timedelta(days=2)) >= 1
        keys = {r.key for r in session.exec(select(IdempotencyRecord)) if r.key.endswith(run)}
        assert keys == {f"old-{run}", f"new-{run}"}

        assert purge_idempotency(session) >= 1  # the default age: a day
        keys = {r.key for r in session.exec(select(IdempotencyRecord)) if r.key.endswith(run)}
        assert keys == {f"new-{run}"}


def test_a_purged_key_is_a_new_request(sk_client, sk_engine, writer, count):
    key, body = f"key-{uuid.uuid4()}", {"name": f"p-{uuid.uuid4().hex[:6]}", "size": 1}
    first = sk_client.post("/things", json=body, headers={**writer, "Idempotency-Key": key})
    assert first.status_code == 201
    with Session(sk_engine) as session:
        assert purge_idempotency(session, timedelta(seconds=1), now=utcnow() + timedelta(hours=1)) >= 1
    assert count(IdempotencyRecord, IdempotencyRecord.key == key) == 0
    again = sk_client.post(
        "/things", json={**body, "name": body["name"] + "-2"}, headers={**writer, "Idempotency-Key": key}
    )
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers


def test_the_age_must_be_positive(sk_engine):
    with Session(sk_engine) as session, pytest.raises(ValueError, match="positive"):
        purge_idempotency(session, timedelta(0))

"""Idempotency-Key: replay, refusal of a reused key, no key, and the commit race (409)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from servicekit.audit import AuditRecord
from servicekit.auth import Principal
from servicekit.errors import PROBLEM_MEDIA_TYPE, ProblemError, problem_type
from servicekit.idempotency import MAX_KEY_LENGTH, Idempotency, IdempotencyRecord, fingerprint

PRINCIPAL = Principal(subject="tester", org="BHSCT", scopes=frozenset())


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


def post(client, headers, body, key=None):
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return client.post("/things", json=body, headers=headers)


# --- over HTTP -----------------------------------------------------------------------------


def test_same_key_same_body_replays_the_stored_response(sk_client, writer, count):
    key, body = new_key(), {"name": f"a-{uuid.uuid4().hex[:6]}", "size": 3}
    first = post(sk_client, writer, body, key)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers

    again = post(sk_client, writer, body, key)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    # The work was done once: one thing, one audit record, one idempotency record.
    assert count(AuditRecord, AuditRecord.target_id == first.json()["id"]) == 1
    assert count(IdempotencyRecord, IdempotencyRecord.key == key) == 1


def test_replay_ignores_key_order_of_the_json_body(sk_client, writer):
    key, name = new_key(), f"b-{uuid.uuid4().hex[:6]}"
    first = sk_client.post(
        "/things",
        content=f'{{"name": "{name}", "size": 2}}',
        headers={**writer, "Idempotency-Key": key, "content-type": "application/json"},
    )
    again = sk_client.post(
        "/things",
        content=f'{{"size": 2, "name": "{name}"}}',
        headers={**writer, "Idempotency-Key": key, "content-type": "application/json"},
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_same_key_other_body_is_422(sk_client, writer, count):
    key = new_key()
    first = post(sk_client, writer, {"name": "c", "size": 1}, key)
    assert first.status_code == 201
    refused = post(sk_client, writer, {"name": "c", "size": 2}, key)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert refused.json()["type"] == problem_type("idempotency-key-reused")
    assert count(IdempotencyRecord, IdempotencyRecord.key == key) == 1


def test_no_key_creates_every_time(sk_client, writer):
    body = {"name": "same", "size": 1}
    ids = {post(sk_client, writer, body).json()["id"] for _ in range(3)}
    assert len(ids) == 3


def test_keys_belong_to_their_client(sk_client, keys, count):
    """The same key from another subject or organisation is a different key."""
    key, body = new_key(), {"name": "d", "size": 1}
    mine = post(sk_client, keys.headers("things:read", "things:write"), body, key)
    other_subject = post(sk_client, keys.headers("things:read", "things:write", subject="someone-else"), body, key)
    other_org = post(sk_client, keys.headers("things:read", "things:write", org="SEHSCT"), body, key)
    assert {mine.status_code, other_subject.status_code, other_org.status_code} == {201}
    assert "idempotent-replayed" not in other_subject.headers
    assert "idempotent-replayed" not in other_org.headers
    assert len({mine.json()["id"], other_subject.json()["id"], other_org.json()["id"]}) == 3
    assert count(IdempotencyRecord, IdempotencyRecord.key == key) == 3


@pytest.mark.parametrize("key", ["", "k" * (MAX_KEY_LENGTH + 1)])
def test_key_of_bad_length_is_422_naming_the_header(sk_client, writer, key):
    response = post(sk_client, writer, {"name": "e", "size": 1}, key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.idempotency-key"


def test_key_of_maximum_length_is_accepted(sk_client, writer):
    assert post(sk_client, writer, {"name": "f", "size": 1}, "k" * MAX_KEY_LENGTH).status_code == 201


def test_invalid_body_is_not_remembered(sk_client, writer, count):
    key = new_key()
    assert post(sk_client, writer, {"name": "", "size": 1}, key).status_code == 422
    assert count(IdempotencyRecord, IdempotencyRecord.key == key) == 0
    assert post(sk_client, writer, {"name": "g", "size": 1}, key).status_code == 201


def test_commit_race_is_409_and_changes_nothing(sk_app, sk_client, sk_engine, writer, count):
    """A concurrent twin committed the same key between our replay() and our commit()."""
    key, name = new_key(), f"race-{uuid.uuid4().hex[:8]}"

    def twin_commits_first(idempotency: Idempotency) -> None:
        with Session(sk_engine) as other:
            other.add(
                IdempotencyRecord(
                    client=idempotency.client,
                    key=idempotency.key,
                    operation=idempotency.operation,
                    fingerprint=idempotency.fingerprint,
                    status_code=201,
                    response={"id": "from-the-twin"},
                )
            )
            other.commit()

    sk_app.state.after_replay = twin_commits_first
    try:
        response = post(sk_client, writer, {"name": name, "size": 1}, key)
    finally:
        del sk_app.state.after_replay
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"] == problem_type("idempotency-key-in-use")
    # Neither the thing nor its audit record was committed.
    with Session(sk_engine) as session:
        created = session.exec(select(AuditRecord).where(AuditRecord.action == "thing.create")).all()
    assert created
    assert all(record.after["name"] != name for record in created)
    with sk_engine.connect() as connection:
        named = connection.execute(
            sa.text("SELECT count(*) FROM sk_thing WHERE name = :name"), {"name": name}
        ).scalar_one()
    assert named == 0
    # Retrying now replays the twin's response.
    retry = post(sk_client, writer, {"name": name, "size": 1}, key)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == {"id": "from-the-twin"}


# --- the class on its own ------------------------------------------------------------------


def test_replay_and_remember_without_key_do_nothing(sk_engine, count):
    before = count(IdempotencyRecord)
    with Session(sk_engine) as session:
        idempotency = Idempotency(session, PRINCIPAL, None, "op", {"a": 1})
        assert idempotency.replay() is None
        idempotency.remember(201, {"a": 1})
        idempotency.commit()
    assert count(IdempotencyRecord) == before


def test_same_key_for_another_operation_is_refused(sk_engine):
    key = new_key()
    with Session(sk_engine) as session:
        first = Idempotency(session, PRINCIPAL, key, "create-a", {"a": 1})
        assert first.replay() is None
        first.remember(201, {"id": 1}, {"Location": "/a/1"})
        first.commit()
    with Session(sk_engine) as session:
        replayed = Idempotency(session, PRINCIPAL, key, "create-a", {"a": 1}).replay()
        assert replayed is not None
        assert replayed.status_code == 201
        assert replayed.headers["location"] == "/a/1"
        assert replayed.headers["idempotent-replayed"] == "true"
        with pytest.raises(ProblemError) as refused:
            Idempotency(session, PRINCIPAL, key, "create-b", {"a": 1}).replay()
        assert refused.value.status == 422


def test_unrelated_integrity_error_is_not_turned_into_409(sk_engine):
    """Only a clash on the idempotency record is a 409; any other constraint error propagates."""
    key = new_key()
    with Session(sk_engine) as session:
        idempotency = Idempotency(session, PRINCIPAL, key, "op", {"a": 1})
        uid = uuid.uuid4()
        session.add(AuditRecord(uid=uid, actor="a", org="o", action="x", target_type="t", target_id="1"))
        session.commit()
        session.add(AuditRecord(uid=uid, actor="a", org="o", action="x", target_type="t", target_id="2"))
        idempotency.remember(201, {})
        with pytest.raises(IntegrityError):
            idempotency.commit()


# --- fingerprint ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_fingerprint_ignores_key_order(body):
    reordered = dict(reversed(list(body.items())))
    assert fingerprint(body) == fingerprint(reordered)
    assert len(fingerprint(body)) == 64


@given(json_values, json_values)
def test_fingerprint_equal_exactly_when_the_canonical_json_is(a, b):
    """1, 1.0 and True are equal in Python but are different JSON bodies: so are their prints."""

    def canonical(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    assert (fingerprint(a) == fingerprint(b)) == (canonical(a) == canonical(b))


def test_fingerprint_of_models_dataclasses_and_rich_types():
    class Body(BaseModel):
        name: str
        at: datetime
        ref: uuid.UUID

    @dataclass
    class Plain:
        name: str

    ref, at = uuid.uuid4(), datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    model = Body(name="x", at=at, ref=ref)
    assert fingerprint(model) == fingerprint({"ref": str(ref), "name": "x", "at": "2025-01-02T03:04:05Z"})
    assert fingerprint(model) != fingerprint(Body(name="y", at=at, ref=ref))
    assert fingerprint(Plain(name="x")) == fingerprint({"name": "x"})
    assert fingerprint(b"raw bytes") == fingerprint(b"raw bytes")
    assert fingerprint(b"raw bytes") != fingerprint(b"other bytes")

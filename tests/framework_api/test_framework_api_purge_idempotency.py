"""`framework-api purge-idempotency`: stored Idempotency-Key responses past their age are removed
(issue 6 §8), the age from the option or FRAMEWORK_API_IDEMPOTENCY_RETENTION_HOURS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from framework_api import db
from framework_api.cli import app
from servicekit.audit import utcnow
from servicekit.db import make_engine
from servicekit.idempotency import IdempotencyRecord
from support import fresh_database

runner = CliRunner()


@pytest.fixture
def database(tmp_path, monkeypatch):
    with fresh_database(tmp_path, "fwpurge") as url:
        db.upgrade(url)
        monkeypatch.setenv("FRAMEWORK_API_DATABASE_URL", url)
        monkeypatch.delenv("FRAMEWORK_API_IDEMPOTENCY_RETENTION_HOURS", raising=False)
        yield url


def _store(url: str, **ages: timedelta) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            for key, age in ages.items():
                session.add(
                    IdempotencyRecord(
                        client="BSO:hr",
                        key=key,
                        operation="POST /frameworks",
                        fingerprint="0" * 64,
                        status_code=201,
                        response={},
                        created_at=utcnow() - age,
                    )
                )
            session.commit()
    finally:
        engine.dispose()


def _keys(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {record.key for record in session.exec(select(IdempotencyRecord))}
    finally:
        engine.dispose()


def test_purge_idempotency_removes_records_past_the_age(database, monkeypatch):
    _store(database, day_old=timedelta(hours=25), hour_old=timedelta(hours=1), week_old=timedelta(days=7))
    result = runner.invoke(app, ["purge-idempotency"])
    assert result.exit_code == 0, result.output
    assert "removed 2 idempotency record(s) older than 24 hours" in result.output
    assert _keys(database) == {"hour_old"}

    monkeypatch.setenv("FRAMEWORK_API_IDEMPOTENCY_RETENTION_HOURS", "48")
    _store(database, two_days=timedelta(hours=49), one_day=timedelta(hours=25))
    assert "removed 1 idempotency record(s) older than 48 hours" in runner.invoke(app, ["purge-idempotency"]).output
    assert runner.invoke(app, ["purge-idempotency", "--older-than-hours", "0"]).exit_code != 0

"""`servicekit.commands.service_cli`: every service's `migrate`, `purge-idempotency` and `serve`,
written once, named by the service's settings (env prefix) and port."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from pydantic_settings import SettingsConfigDict
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

import servicekit.commands as commands
from servicekit.audit import utcnow
from servicekit.config import ServiceSettings
from servicekit.db import make_engine
from servicekit.idempotency import IdempotencyRecord

runner = CliRunner()
MIGRATIONS = Path("/nowhere/migrations")


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_API_", extra="ignore")


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'example.db'}"
    monkeypatch.setenv("EXAMPLE_API_DATABASE_URL", url)
    monkeypatch.delenv("EXAMPLE_API_IDEMPOTENCY_RETENTION_HOURS", raising=False)
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine, tables=[IdempotencyRecord.__table__])
    with Session(engine) as session:
        stored = {"client": "BSO:hr", "operation": "POST /things", "fingerprint": "0" * 64, "status_code": 201}
        for key, hours in (("old", 30), ("new", 1)):
            session.add(IdempotencyRecord(**stored, key=key, response={}, created_at=utcnow() - timedelta(hours=hours)))
        session.commit()
    engine.dispose()
    return url


@pytest.fixture
def cli(database):
    return commands.service_cli("example-api", ExampleSettings, MIGRATIONS, port=8099, help="An example service.")


def test_migrate_upgrades_the_services_own_migrations(cli, database, monkeypatch):
    calls = []
    monkeypatch.setattr(commands, "migrate", lambda location, url: calls.append((location, url)))
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    assert calls == [(MIGRATIONS, database)]
    assert "example-api: database is at the latest migration" in result.output


def test_purge_idempotency_reads_the_services_env_prefix(cli, database, monkeypatch):
    result = runner.invoke(cli, ["purge-idempotency"])
    assert "example-api: removed 1 idempotency record(s) older than 24 hours" in result.output
    monkeypatch.setenv("EXAMPLE_API_IDEMPOTENCY_RETENTION_HOURS", "0")
    assert runner.invoke(cli, ["purge-idempotency"]).exit_code != 0
    engine = make_engine(database)
    with Session(engine) as session:
        assert [r.key for r in session.exec(select(IdempotencyRecord))] == ["new"]
    engine.dispose()


def test_serve_runs_the_services_app_factory_on_its_port(cli, monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    assert runner.invoke(cli, ["serve"]).exit_code == 0
    assert runner.invoke(cli, ["serve", "--port", "9000", "--workers", "2"]).exit_code == 0
    [(app, first), (_, second)] = calls
    assert app == "example_api.main:create_app"
    assert first["factory"] is True
    assert (first["host"], first["port"], first["workers"]) == ("127.0.0.1", 8099, 1)
    assert (second["port"], second["workers"]) == (9000, 2)
    assert "EXAMPLE_API_MIGRATE_ON_STARTUP=false" in runner.invoke(cli, ["serve", "--help"]).output

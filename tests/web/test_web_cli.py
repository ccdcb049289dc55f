"""The `web` command: migrate, and create-admin (idempotent, the password printed once)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from servicekit.audit import AuditRecord
from servicekit.db import make_engine
from support import fresh_database
from web.accounts import service
from web.accounts.models import User
from web.cli import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path, monkeypatch):
    with fresh_database(tmp_path, "webcli") as url:
        monkeypatch.setenv("WEB_DATABASE_URL", url)
        monkeypatch.delenv("COLLECTIVE_ADMIN_PASSWORD", raising=False)
        yield url


def _users(url: str) -> list[User]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(User)).all())
    finally:
        engine.dispose()


def test_migrate_builds_the_database(database):
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "web: database is at the latest migration" in result.output
    assert _users(database) == []
    assert runner.invoke(app, ["migrate"]).exit_code == 0  # and again changes nothing


def test_create_admin_generates_a_password_printed_once(database):
    first = runner.invoke(app, ["create-admin", "--username", "admin", "--org", "BSO"])
    assert first.exit_code == 0, first.output
    password = re.search(r"Password \(shown once; keep it safe\): (\S+)", first.output).group(1)
    assert len(password) >= 16

    [admin] = _users(database)
    assert admin.username == "admin" and admin.org == "BSO" and admin.roles == ["admin"]
    assert service.verify_password(admin.password_hash, password)

    second = runner.invoke(app, ["create-admin", "--username", "admin", "--org", "BSO"])
    assert second.exit_code == 0, second.output
    assert "already exists; nothing changed" in second.output
    assert password not in second.output
    [same] = _users(database)
    assert same.password_hash == admin.password_hash


def test_create_admin_takes_the_password_from_the_environment(database, monkeypatch):
    monkeypatch.setenv("COLLECTIVE_ADMIN_PASSWORD", "from-the-environment")
    result = runner.invoke(app, ["create-admin", "--username", "chief", "--org", "BHSCT"])
    assert result.exit_code == 0, result.output
    assert "from-the-environment" not in result.output
    assert "COLLECTIVE_ADMIN_PASSWORD" in result.output
    [chief] = _users(database)
    assert service.verify_password(chief.password_hash, "from-the-environment")
    engine = make_engine(database)
    with Session(engine) as session:
        record = session.exec(select(AuditRecord)).one()
        assert record.action == "user.create" and record.actor == "cli:create-admin"
    engine.dispose()


def test_create_admin_refuses_an_unknown_organisation_or_a_weak_password(database, monkeypatch):
    unknown = runner.invoke(app, ["create-admin", "--org", "NHS"])
    assert unknown.exit_code == 2
    assert "Unknown organisation" in unknown.output
    monkeypatch.setenv("COLLECTIVE_ADMIN_PASSWORD", "short")
    weak = runner.invoke(app, ["create-admin", "--org", "BSO"])
    assert weak.exit_code == 2
    assert "12 characters" in weak.output

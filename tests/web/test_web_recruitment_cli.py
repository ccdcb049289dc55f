"""`web create-demo-users`: the demo recruiter, assessor, manager and regional lead of BSO, with the
ids recruitment-api's demo seed puts on its panel; idempotent, the password printed once."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from servicekit.db import make_engine
from servicekit.demo import DEMO_ORG, demo_subject
from support import fresh_database
from web.accounts import service
from web.accounts.models import User
from web.cli import app

runner = CliRunner()


@pytest.fixture
def database(tmp_path, monkeypatch):
    with fresh_database(tmp_path, "webdemo") as url:
        monkeypatch.setenv("WEB_DATABASE_URL", url)
        monkeypatch.delenv("COLLECTIVE_DEMO_PASSWORD", raising=False)
        yield url


def _users(url: str) -> dict[str, User]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {user.username: user for user in session.exec(select(User)).all()}
    finally:
        engine.dispose()


def test_create_demo_users_is_idempotent_with_the_demo_ids(database):
    first = runner.invoke(app, ["create-demo-users"])
    assert first.exit_code == 0, first.output
    password = re.search(r"shown once; keep it safe\): (\S+)", first.output).group(1)
    users = _users(database)
    assert set(users) == {"recruiter", "assessor", "manager", "regional"}
    assert users["regional"].roles == ["regional_lead"]
    recruiter, assessor = users["recruiter"], users["assessor"]
    assert str(recruiter.uid) == demo_subject("recruiter") and str(assessor.uid) == demo_subject("assessor")
    assert recruiter.org == assessor.org == DEMO_ORG == "BSO"
    assert recruiter.roles == ["recruitment_admin", "assessor", "equality_officer"]
    assert assessor.roles == ["assessor"]
    assert service.verify_password(recruiter.password_hash, password)
    assert service.verify_password(assessor.password_hash, password)

    second = runner.invoke(app, ["create-demo-users"])
    assert second.exit_code == 0, second.output
    assert password not in second.output and second.output.count("already exists; nothing changed") == 4
    again = _users(database)
    assert {name: (u.uid, u.password_hash, u.roles) for name, u in again.items()} == {
        name: (u.uid, u.password_hash, u.roles) for name, u in users.items()
    }


def test_create_demo_users_takes_the_password_from_the_environment(database, monkeypatch):
    monkeypatch.setenv("COLLECTIVE_DEMO_PASSWORD", "a-demo-password-long-enough")
    result = runner.invoke(app, ["create-demo-users"])
    assert result.exit_code == 0, result.output
    assert "a-demo-password-long-enough" not in result.output and "COLLECTIVE_DEMO_PASSWORD" in result.output
    assert service.verify_password(_users(database)["assessor"].password_hash, "a-demo-password-long-enough")


def test_an_existing_account_of_the_same_name_is_left_alone_with_a_warning(database, monkeypatch):
    monkeypatch.setenv("COLLECTIVE_ADMIN_PASSWORD", "an-admin-password-long-enough")
    assert runner.invoke(app, ["create-admin", "--username", "recruiter", "--org", "BSO"]).exit_code == 0
    result = runner.invoke(app, ["create-demo-users"])
    assert result.exit_code == 0, result.output
    assert "Warning" in result.output and "demo panel does not include it" in result.output
    users = _users(database)
    assert users["recruiter"].roles == ["admin"] and str(users["recruiter"].uid) != demo_subject("recruiter")
    assert str(users["assessor"].uid) == demo_subject("assessor")


def test_a_weak_demo_password_is_refused(database, monkeypatch):
    monkeypatch.setenv("COLLECTIVE_DEMO_PASSWORD", "short")
    result = runner.invoke(app, ["create-demo-users"])
    assert result.exit_code == 2 and "12 characters" in result.output
    assert _users(database) == {}

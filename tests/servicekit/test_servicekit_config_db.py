"""Settings (production refuses defaults) and the database helpers (URLs, engines, migrations)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlmodel import Session

from servicekit.config import DEFAULT_CURSOR_SECRET, VAR_DIR, ServiceSettings
from servicekit.db import (
    alembic_config,
    downgrade,
    make_engine,
    migrate,
    normalise_url,
)
from servicekit.params import session_dependency
from support import fresh_database

PG = "postgresql+psycopg://collective:secret@db.example:5432/framework"

# --- settings ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """ServiceSettings itself has no prefix: keep the machine's environment out of these tests."""
    for name in ServiceSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


CURSOR_SECRET = "0123456789abcdef0123456789abcdef-random"


def test_development_defaults_are_embedded():
    settings = ServiceSettings()
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite")
    assert settings.jwt_public_key_path == VAR_DIR / "keys" / "jwt-signing.pub.pem"
    assert settings.jwks_url is None
    assert settings.max_body_bytes == 1_048_576


def test_production_refuses_sqlite():
    with pytest.raises(ValidationError, match="server database"):
        ServiceSettings(environment="production", jwks_url="https://idp.example/jwks")


def test_production_refuses_the_default_key():
    with pytest.raises(ValidationError, match="jwks_url"):
        ServiceSettings(environment="production", database_url=PG)


def test_production_refuses_the_default_key_spelled_as_text():
    with pytest.raises(ValidationError, match="jwks_url"):
        ServiceSettings(environment="production", database_url=PG, jwt_public_key_path="var/keys/jwt-signing.pub.pem")


def test_production_names_every_problem_at_once():
    with pytest.raises(ValidationError) as refused:
        ServiceSettings(environment="production")
    message = str(refused.value)
    assert "server database" in message and "jwks_url" in message


@pytest.mark.parametrize(
    "extra",
    [{"jwks_url": "https://idp.example/jwks"}, {"jwt_public_key_path": "/run/secrets/jwt.pub.pem"}],
)
def test_production_accepts_a_server_database_and_explicit_keys(extra):
    settings = ServiceSettings(environment="production", database_url=PG, cursor_secret=CURSOR_SECRET, **extra)
    assert settings.environment == "production"


@pytest.mark.parametrize("secret", [None, DEFAULT_CURSOR_SECRET, "", "too-short-to-be-random"])
def test_production_refuses_the_default_or_a_short_cursor_secret(secret):
    extra = {} if secret is None else {"cursor_secret": secret}
    with pytest.raises(ValidationError, match="cursor_secret"):
        ServiceSettings(environment="production", database_url=PG, jwks_url="https://idp.example/jwks", **extra)


def test_the_cursor_secret_is_not_shown_in_the_settings():
    settings = ServiceSettings(cursor_secret=CURSOR_SECRET)
    assert CURSOR_SECRET not in repr(settings) and CURSOR_SECRET not in str(settings.model_dump())


def test_unknown_environment_is_refused():
    with pytest.raises(ValidationError):
        ServiceSettings(environment="staging")


class PrefixedSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SKTEST_", extra="ignore")


def test_settings_come_from_the_environment_with_the_service_prefix(monkeypatch):
    monkeypatch.setenv("SKTEST_ENVIRONMENT", "production")
    monkeypatch.setenv("SKTEST_DATABASE_URL", PG)
    monkeypatch.setenv("SKTEST_JWKS_URL", "https://idp.example/jwks")
    monkeypatch.setenv("SKTEST_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("SKTEST_CURSOR_SECRET", CURSOR_SECRET)
    monkeypatch.setenv("SKTEST_UNRELATED", "ignored")
    settings = PrefixedSettings()
    assert (settings.environment, settings.database_url, settings.max_body_bytes) == (
        "production",
        PG,
        2048,
    )


def test_production_from_the_environment_refuses_defaults(monkeypatch):
    monkeypatch.setenv("SKTEST_ENVIRONMENT", "production")
    with pytest.raises(ValidationError):
        PrefixedSettings()


# --- URLs and engines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql+psycopg://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql://u@h/d?sslmode=require", "postgresql+psycopg://u@h/d?sslmode=require"),
        ("sqlite:///var/framework.db", "sqlite:///var/framework.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


def test_normalise_url_keeps_a_password_with_special_characters():
    url = normalise_url("postgresql://user:p%40ss%25w:rd@host/db")
    assert url.startswith("postgresql+psycopg://")
    assert make_url(url).password == "p@ss%w:rd"


def test_sqlite_engine_creates_the_folder_and_sets_pragmas(tmp_path):
    path = tmp_path / "nested" / "folder" / "service.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
        # A writer waits as long as a request waits for a connection, then the request is a 503.
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar_one() == 5000
    assert path.parent.is_dir()
    engine.dispose()


def test_in_memory_sqlite_engine(tmp_path):
    engine = make_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 1")).scalar_one() == 1
    engine.dispose()


def test_postgresql_engine_uses_psycopg_and_pre_ping():
    engine = make_engine("postgresql://u:p@127.0.0.1:9/d")
    assert engine.dialect.driver == "psycopg"
    assert engine.pool._pre_ping
    engine.dispose()


def test_session_dependency_gives_one_session_per_request(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'session.db'}")
    app = FastAPI()
    app.state.engine = engine
    seen: list[Session] = []

    @app.get("/")
    def endpoint(session: Session = Depends(session_dependency)) -> dict[str, int]:
        seen.append(session)
        return {"one": session.execute(sa.text("SELECT 1")).scalar_one()}

    client = TestClient(app)
    assert client.get("/").json() == {"one": 1}
    assert client.get("/").json() == {"one": 1}
    assert seen[0] is not seen[1]
    engine.dispose()


# --- migrations ----------------------------------------------------------------------------


def test_alembic_config_escapes_percent_signs():
    config = alembic_config(Path("/somewhere"), "postgresql://u:p%25w@h/d")
    assert config.get_main_option("sqlalchemy.url") == "postgresql+psycopg://u:p%25w@h/d"
    assert config.get_main_option("script_location") == "/somewhere"


@pytest.fixture
def script_location(tmp_path) -> Path:
    """A minimal alembic environment whose one revision creates a table with the audit guard."""
    location = tmp_path / "migrations"
    (location / "versions").mkdir(parents=True)
    (location / "env.py").write_text(
        textwrap.dedent(
            """
            from alembic import context
            from sqlalchemy import create_engine

            url = context.config.get_main_option("sqlalchemy.url")
            engine = create_engine(url)
            with engine.connect() as connection:
                context.configure(connection=connection)
                with context.begin_transaction():
                    context.run_migrations()
            engine.dispose()
            """
        )
    )
    (location / "script.py.mako").write_text("")
    (location / "versions" / "0001_audit.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import op

            from servicekit.audit import create_append_only_guard, drop_append_only_guard

            revision = "0001"
            down_revision = None
            branch_labels = None
            depends_on = None


            def upgrade():
                op.create_table(
                    "audit_record",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("actor", sa.String(200), nullable=False),
                )
                create_append_only_guard(op)


            def downgrade():
                drop_append_only_guard(op)
                op.drop_table("audit_record")
            """
        )
    )
    return location


def test_migrate_and_downgrade(tmp_path, script_location):
    with fresh_database(tmp_path, "migrate") as url:
        migrate(script_location, url)
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO audit_record (actor) VALUES ('a')"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM audit_record"))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
        engine.dispose()

        downgrade(script_location, url)
        engine = make_engine(url)
        assert "audit_record" not in sa.inspect(engine).get_table_names()
        engine.dispose()


def test_in_session_runs_the_work_in_a_session_of_its_own_and_gives_the_connection_back(tmp_path):
    import anyio

    from servicekit.db import database_of, in_session

    engine = make_engine(f"sqlite:///{tmp_path / 'in-session.db'}")
    app = FastAPI()
    app.state.engine = engine
    seen: list[Session] = []

    def work(session: Session, number: int) -> int:
        seen.append(session)
        return session.execute(sa.text("SELECT :n"), {"n": number}).scalar_one()

    async def twice() -> list[int]:
        return [await in_session(app, work, 1), await in_session(app, work, 2)]

    assert anyio.run(twice) == [1, 2]
    assert seen[0] is not seen[1]
    assert engine.pool.checkedout() == 0  # both connections are back in the pool
    assert database_of(app).slots == 20
    engine.dispose()

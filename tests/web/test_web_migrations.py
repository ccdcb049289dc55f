"""The web's tables come from its migrations (never create_all), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlmodel import SQLModel

import web.accounts.models  # noqa: F401  (registers the tables)
from servicekit.db import downgrade, make_engine
from support import fresh_database
from web import db

WEB_TABLES = {"web_user", "user_session", "sign_in_throttle", "audit_record", "sign_in_event"}


def test_migrations_build_the_tables_the_models_describe(tmp_path):
    with fresh_database(tmp_path, "webmig") as url:
        db.upgrade(url)
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                assert set(inspect(connection).get_table_names()) >= WEB_TABLES
                # Only the web's tables: other packages' models may be loaded in the same process.
                metadata = MetaData()
                for table in SQLModel.metadata.sorted_tables:
                    if table.name in WEB_TABLES:
                        table.to_metadata(metadata)
                assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        finally:
            engine.dispose()


def test_migrations_go_down_and_up_again(tmp_path):
    with fresh_database(tmp_path, "webmigdown") as url:
        db.upgrade(url)
        downgrade(db.MIGRATIONS, url, "base")
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                assert not WEB_TABLES & set(inspect(connection).get_table_names())
        finally:
            engine.dispose()
        db.upgrade(url)

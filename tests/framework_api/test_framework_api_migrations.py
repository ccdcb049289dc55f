"""Migrations build the schema on an empty database and take it down again (SQLite or PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from framework_api.db import MIGRATIONS
from servicekit.db import downgrade, migrate, normalise_url
from support import fresh_database

TABLES = {
    "framework",
    "framework_version",
    "item",
    "association",
    "scale",
    "scale_level",
    "level_descriptor",
    "audit_record",
    "idempotency_record",
}


def test_upgrade_to_head_and_back_down(tmp_path):
    with fresh_database(tmp_path, "fw_migrations") as url:
        migrate(MIGRATIONS, url)
        engine = create_engine(normalise_url(url))
        assert set(inspect(engine).get_table_names()) >= TABLES
        downgrade(MIGRATIONS, url)
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
        migrate(MIGRATIONS, url)
        assert set(inspect(engine).get_table_names()) >= TABLES
        engine.dispose()

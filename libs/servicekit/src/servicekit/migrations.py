"""The body of every deployable's alembic `migrations/env.py`.

An env.py imports the modules whose tables it migrates (so they are in `SQLModel.metadata`) and
calls `run_migrations()`. Batch mode throughout, so SQLite can alter tables as PostgreSQL does.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool
from sqlmodel import SQLModel


def run_migrations(metadata: MetaData | None = None) -> None:
    """Run the migrations alembic asked for, offline (SQL script) or online, against `metadata`
    (SQLModel's, holding every table imported so far, by default)."""
    target_metadata = metadata if metadata is not None else SQLModel.metadata
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()

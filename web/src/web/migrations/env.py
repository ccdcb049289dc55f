"""Alembic environment of the web: its accounts and sessions plus servicekit's audit record."""

import web.accounts.models  # noqa: F401  (the tables to migrate)
from servicekit.migrations import run_migrations

run_migrations()

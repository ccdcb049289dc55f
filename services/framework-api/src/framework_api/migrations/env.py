"""Alembic environment of framework-api: its own tables plus servicekit's audit and idempotency."""

import framework_api.frameworks.models  # noqa: F401
import servicekit.audit
import servicekit.idempotency  # noqa: F401  (the tables to migrate)
from servicekit.migrations import run_migrations

run_migrations()

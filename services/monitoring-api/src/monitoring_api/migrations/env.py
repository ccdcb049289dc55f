"""Alembic environment of monitoring-api: its own tables plus servicekit's audit and idempotency."""

import monitoring_api.indicators.models
import monitoring_api.plan.models
import monitoring_api.structure.models  # noqa: F401
import servicekit.audit
import servicekit.idempotency  # noqa: F401  (the tables to migrate)
from servicekit.migrations import run_migrations

run_migrations()

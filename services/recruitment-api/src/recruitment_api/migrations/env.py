"""Alembic environment of recruitment-api: its own tables plus servicekit's audit and idempotency."""

import recruitment_api.candidates.models
import recruitment_api.fairness.models
import recruitment_api.results.models
import recruitment_api.scoring.models
import recruitment_api.vacancies.models  # noqa: F401
import servicekit.audit
import servicekit.idempotency  # noqa: F401  (the tables to migrate)
from servicekit.migrations import run_migrations

run_migrations()

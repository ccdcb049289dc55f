"""The web's own database (accounts and sessions): engine, session dependency and migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from servicekit.db import migrate
from servicekit.params import SessionDep

MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["SessionDep", "upgrade"]


def upgrade(database_url: str) -> None:
    migrate(MIGRATIONS, database_url)


def utcnow() -> datetime:
    return datetime.now(UTC)

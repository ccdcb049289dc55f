from __future__ import annotations

from pathlib import Path

from servicekit.db import SessionDep, migrate

MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["SessionDep", "upgrade"]


def upgrade(database_url: str) -> None:
    migrate(MIGRATIONS, database_url)

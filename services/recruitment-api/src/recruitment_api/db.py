"""recruitment-api's database: its migrations, and the session a route works in."""

from __future__ import annotations

from pathlib import Path

from servicekit.db import migrate
from servicekit.params import SessionDep

MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "SessionDep", "upgrade"]


def upgrade(database_url: str) -> None:
    migrate(MIGRATIONS, database_url)

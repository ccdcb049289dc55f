from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from servicekit.db import migrate, session_dependency

MIGRATIONS = Path(__file__).parent / "migrations"

SessionDep = Annotated[Session, Depends(session_dependency)]


def upgrade(database_url: str) -> None:
    migrate(MIGRATIONS, database_url)

"""Test support shared by every suite: databases (SQLite or PostgreSQL) and tokens."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from servicekit.keys import ensure_keys, issue_token

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)


@contextmanager
def fresh_database(directory: Path, name: str) -> Iterator[str]:
    """A new empty database for one test module: a SQLite file, or a PostgreSQL database
    created on the TEST_DATABASE_URL server and dropped afterwards."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{directory / (name + '.db')}"
        return
    server = make_url(TEST_DATABASE_URL)
    database = f"collective_test_{name}_{uuid.uuid4().hex[:10]}".lower()
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        yield server.set(database=database).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class Keys:
    """A key pair in a temporary folder, and tokens signed with it."""

    def __init__(self, directory: Path) -> None:
        self.private_path, self.public_path = ensure_keys(directory)
        self.private_pem = self.private_path.read_bytes()

    def token(
        self,
        scopes: Iterable[str] = (),
        *,
        org: str = "BHSCT",
        subject: str = "tester",
        ttl_seconds: int = 300,
        now: float | None = None,
    ) -> str:
        return issue_token(self.private_pem, subject=subject, org=org, scopes=scopes, ttl_seconds=ttl_seconds, now=now)

    def headers(self, *scopes: str, org: str = "BHSCT", subject: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(scopes, org=org, subject=subject)}"}

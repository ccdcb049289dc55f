"""Test support shared by every suite: databases (SQLite or PostgreSQL) and tokens."""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from servicekit.keys import ensure_keys, issue_token

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)
# The pytest-xdist worker running this process ("gw0", "gw1", ...), or "main" without xdist.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _ports_outside_the_ephemeral_range() -> range:
    """Ports the kernel never hands out by itself: not in ip_local_port_range, so no outgoing
    connection (of this or any process) can take one between our probe and a server's bind, or
    while a TCP proxy is stopped and started again on the same port."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    if low - 20000 >= 2000:
        return range(20000, low)
    if 65535 - high >= 2000:
        return range(high + 1, 65536)
    return range(0)  # no room outside it: let the kernel choose


_PORTS = _ports_outside_the_ephemeral_range()
# Each process (each xdist worker, each concurrent pytest) walks the range from its own random
# start, so two processes handing out ports at the same time do not meet.
_next_port = random.Random(f"{os.getpid()}-{WORKER}").randrange(len(_PORTS)) if _PORTS else 0


def free_port() -> int:
    """A local TCP port nobody listens on, for a server or proxy a test starts itself; never the
    same twice in one process (several are usually chosen before any of them is bound)."""
    global _next_port
    for _ in range(len(_PORTS)):
        port = _PORTS[_next_port % len(_PORTS)]
        _next_port += 1
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        ttl_seconds: int = 3600,
        now: float | None = None,
    ) -> str:
        """A token signed with the pair. It lives an hour by default: tokens made in a module's
        fixtures are used by the module's later tests, which on a loaded machine may come minutes on."""
        return issue_token(self.private_pem, subject=subject, org=org, scopes=scopes, ttl_seconds=ttl_seconds, now=now)

    def headers(self, *scopes: str, org: str = "BHSCT", subject: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(scopes, org=org, subject=subject)}"}

"""Database engine, sessions and migrations for a service's own database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import anyio
import structlog
from alembic import command
from alembic.config import Config
from sqlalchemy import Table, event, inspect
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, SQLModel, create_engine

from servicekit.errors import DatabaseBusy

log = structlog.get_logger("servicekit.db")
T = TypeVar("T")


@dataclass(frozen=True)
class PoolLimits:
    """Connections a process keeps (size) and may add under load (overflow), and how long a request
    waits for one, or for SQLite's write lock, before it is told to come back (503)."""

    size: int = 10
    overflow: int = 10
    wait_seconds: float = 5.0
    statement_timeout_seconds: float = 30.0

    @property
    def connections(self) -> int:
        return self.size + self.overflow


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# The limits each engine was made with, so the requests admitted to it match its pool.
_limits: weakref.WeakKeyDictionary[Engine, PoolLimits] = weakref.WeakKeyDictionary()


def make_engine(url: str, limits: PoolLimits | None = None) -> Engine:
    limits = limits or PoolLimits()
    engine = _create_engine(normalise_url(url), limits)
    _limits[engine] = limits
    return engine


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_parameters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """SQLAlchemy `before_cursor_execute` listener (SQLite): a NUL in a parameter is the DataError
    PostgreSQL gives, so the problem handlers answer 422 `unstorable-value` on both databases (the
    backstop behind `servicekit.nul`, which refuses NUL at the request edge)."""
    if _holds_nul(parameters):
        raise DataError(statement, parameters, ValueError("A string literal cannot contain NUL (0x00) characters."))


def _create_engine(url: str, limits: PoolLimits) -> Engine:
    wait = limits.wait_seconds
    pool: dict[str, Any] = {"pool_size": limits.size, "max_overflow": limits.overflow, "pool_timeout": wait}
    if url.startswith("sqlite"):
        database = make_url(url).database
        in_memory = not database or database == ":memory:"
        if database and not in_memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": wait},
            **({} if in_memory else {"poolclass": QueuePool, **pool}),
        )

        # SQLite stores NUL in text where PostgreSQL refuses it: refuse it here too, the same way.
        event.listen(engine, "before_cursor_execute", refuse_nul_parameters)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # A writer waits this long for the lock, then the request is a 503 (never a long hang).
            cursor.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,  # a connection the database dropped (restart, outage) is replaced, not used
        connect_args={
            "connect_timeout": max(2, round(wait)),  # libpq's floor is 2 s
            "options": f"-c statement_timeout={int(limits.statement_timeout_seconds * 1000)}",
            # A database host that vanishes without closing the connection (a network partition) is
            # noticed within seconds, not after the kernel's default of a quarter of an hour.
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": 15_000,
        },
        **pool,
    )


class Database:
    """Admits requests to the engine's connections. A request waits here, without a worker thread,
    until one of the pool's connections is its own, or is told to come back after the wait
    (`DatabaseBusy`, a 503). As many requests are admitted as the pool has connections, so a
    request inside never waits on the pool, and no request holds a connection while it waits for
    anything else: the deadlock of 80 clients on 30 connections and 40 threads cannot form."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        limits = _limits.get(engine, PoolLimits())
        self.slots = limits.connections
        self.wait_seconds = limits.wait_seconds
        # anyio's semaphores belong to one event loop; tests run an app under several.
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> anyio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = anyio.Semaphore(self.slots)
        return semaphore

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        semaphore = self._semaphore()
        try:
            with anyio.fail_after(self.wait_seconds):
                await semaphore.acquire()
        except TimeoutError:
            raise DatabaseBusy from None
        try:
            session = Session(self.engine, expire_on_commit=False)
            try:
                yield session
            finally:
                # Closing rolls back what the route did not commit: network I/O, so off the event
                # loop, on a thread of its own (never one a waiting request could be holding).
                await anyio.to_thread.run_sync(_close, session, limiter=anyio.CapacityLimiter(1))
        finally:
            semaphore.release()


def _close(session: Session) -> None:
    try:
        session.close()
    except SQLAlchemyError:  # the database went away: the pool discards the connection
        log.warning("session_close_failed", exc_info=True)


async def in_session(app: Any, work: Callable[..., T], *args: Any) -> T:
    """`work(session, *args)` on a worker thread, in a session of its own that is closed (and its
    connection given back) as soon as the work is done. For an async route that must not hold a
    connection while it awaits something else, such as another service."""
    async with database_of(app).session() as session:
        return await anyio.to_thread.run_sync(work, session, *args)


class Keyed(Protocol):
    """A table row with an integer key: None on a new row until it is flushed."""

    @property
    def id(self) -> int | None: ...


def key_of(row: Keyed) -> int:
    """The key of a row the database has seen (read, or added and flushed). The models type `id`
    as `int | None` only because a new row has none yet, so this is where that is narrowed."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no key yet: it has not been flushed")
    return row.id


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed: its result is a CursorResult, which sqlmodel's
    Session.execute types as the general Result."""
    return cast(CursorResult[Any], result).rowcount


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements on the table itself (SQLModel's metaclass
    sets `__table__` but does not declare it to type checkers)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


def database_of(app: Any) -> Database:
    database = getattr(app.state, "database", None)
    if database is None or database.engine is not app.state.engine:
        database = app.state.database = Database(app.state.engine)
    return database


@contextmanager
def standalone_session(database_url: str, *, expire_on_commit: bool = True) -> Iterator[Session]:
    """A session on an engine of its own, disposed afterwards: for CLI commands and scripts."""
    engine = make_engine(database_url)
    try:
        with Session(engine, expire_on_commit=expire_on_commit) as session:
            yield session
    finally:
        engine.dispose()


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return config


def migrate(script_location: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, database_url), revision)


def downgrade(script_location: Path, database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(script_location, database_url), revision)

"""`monitoring-api`: migrate, seed (organisations and the strategy's actions), demo seed, retention purge
of idempotency records, and serve."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from monitoring_api import db
from monitoring_api.config import Settings
from monitoring_api.seed.demo import seed_demo
from monitoring_api.seed.loader import seed as seed_strategy
from servicekit.db import make_engine
from servicekit.idempotency import DEFAULT_RETENTION, purge_idempotency

app = typer.Typer(help="Collective monitoring-api: outcome monitoring.", no_args_is_help=True)


@app.command()
def migrate() -> None:
    """Apply the database migrations (alembic upgrade head)."""
    db.upgrade(Settings().database_url)
    typer.echo("monitoring-api: database is at the latest migration")


@app.command()
def seed() -> None:
    """Add the HSC organisations and the strategy's nine actions, if they are not there yet."""
    engine = make_engine(Settings().database_url)
    try:
        with Session(engine) as session:
            units, actions = seed_strategy(session)
    finally:
        engine.dispose()
    typer.echo(f"monitoring-api: {units} organisation(s) and {actions} action(s) added")


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo data set (structure, indicators with three years of values, plan check-ins), once."""
    engine = make_engine(Settings().database_url)
    try:
        with Session(engine) as session:
            created = seed_demo(session)
    finally:
        engine.dispose()
    typer.echo(f"monitoring-api: demo data {'created' if created else 'already present'}")


@app.command("purge-idempotency")
def purge_idempotency_command(
    older_than_hours: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="MONITORING_API_IDEMPOTENCY_RETENTION_HOURS",
            help="Remove stored Idempotency-Key responses older than this many hours.",
        ),
    ] = int(DEFAULT_RETENTION.total_seconds() // 3600),
) -> None:
    """Remove stored Idempotency-Key responses past their age: a retry after that is a new request."""
    engine = make_engine(Settings().database_url)
    try:
        with Session(engine) as session:
            removed = purge_idempotency(session, timedelta(hours=older_than_hours))
    finally:
        engine.dispose()
    typer.echo(f"monitoring-api: removed {removed} idempotency record(s) older than {older_than_hours} hours")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8003,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API (migrations run first unless MONITORING_API_MIGRATE_ON_STARTUP=false)."""
    uvicorn.run(
        "monitoring_api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
    )

"""`framework-api`: migrate, seed, purge old idempotency records and serve."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from framework_api import db
from framework_api.config import Settings
from framework_api.seed.loader import seed as load_seed
from servicekit.db import make_engine
from servicekit.idempotency import DEFAULT_RETENTION, purge_idempotency

app = typer.Typer(help="Collective framework-api: the canonical leadership framework.", no_args_is_help=True)


@app.command()
def migrate() -> None:
    """Apply the database migrations (alembic upgrade head)."""
    settings = Settings()
    db.upgrade(settings.database_url)
    typer.echo("framework-api: database is at the latest migration")


@app.command()
def seed() -> None:
    """Load the HSC Collective Leadership Framework 1.0.0 if it is not there yet."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        version, created = load_seed(session)
        state = "seeded" if created else "already present"
        typer.echo(
            f"framework-api: HSC Collective Leadership Framework {version.version} {state} (version id {version.uid})"
        )
    engine.dispose()


@app.command("purge-idempotency")
def purge_idempotency_command(
    older_than_hours: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="FRAMEWORK_API_IDEMPOTENCY_RETENTION_HOURS",
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
    typer.echo(f"framework-api: removed {removed} idempotency record(s) older than {older_than_hours} hours")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API (migrations run first unless FRAMEWORK_API_MIGRATE_ON_STARTUP=false)."""
    uvicorn.run(
        "framework_api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
    )

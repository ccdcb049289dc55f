"""`recruitment-api`: migrate, demo seed, retention purges (candidates, idempotency records) and serve."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from recruitment_api import db
from recruitment_api.config import Settings
from recruitment_api.privacy.service import purge_expired
from recruitment_api.seed.demo import seed_demo
from servicekit.auth import Principal
from servicekit.db import make_engine
from servicekit.demo import DEMO_ASSESSOR, DEMO_ORG, DEMO_RECRUITER, demo_subject
from servicekit.idempotency import DEFAULT_RETENTION, purge_idempotency

app = typer.Typer(help="Collective recruitment-api: values-based recruitment.", no_args_is_help=True)


@app.command()
def migrate() -> None:
    """Apply the database migrations (alembic upgrade head)."""
    db.upgrade(Settings().database_url)
    typer.echo("recruitment-api: database is at the latest migration")


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo vacancy, with candidates and a panel of the demo accounts, if it is not there yet."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        panel = [demo_subject(DEMO_RECRUITER), demo_subject(DEMO_ASSESSOR)]
        vacancy, created = seed_demo(session, DEMO_ORG, panel)
        typer.echo(f"recruitment-api: demo vacancy '{vacancy.title}' {'created' if created else 'already present'}")
    engine.dispose()


@app.command()
def purge() -> None:
    """Erase candidates of closed vacancies whose retention period has ended."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        erased = purge_expired(session, Principal(subject="retention-purge", org="*", scopes=frozenset()))
        session.commit()
    engine.dispose()
    typer.echo(f"recruitment-api: erased personal data of {erased} candidate(s) past retention")


@app.command("purge-idempotency")
def purge_idempotency_command(
    older_than_hours: Annotated[
        int,
        typer.Option(
            min=1,
            envvar="RECRUITMENT_API_IDEMPOTENCY_RETENTION_HOURS",
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
    typer.echo(f"recruitment-api: removed {removed} idempotency record(s) older than {older_than_hours} hours")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8002,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API (migrations run first unless RECRUITMENT_API_MIGRATE_ON_STARTUP=false)."""
    uvicorn.run(
        "recruitment_api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
    )

"""`framework-api`: migrate, seed and serve."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from framework_api import db
from framework_api.config import Settings
from framework_api.seed.loader import seed as load_seed
from servicekit.db import make_engine

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

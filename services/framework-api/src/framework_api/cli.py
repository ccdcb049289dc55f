"""`framework-api`: migrate, seed, purge old idempotency records and serve."""

from __future__ import annotations

import typer

from framework_api import db
from framework_api.config import Settings
from framework_api.seed.loader import seed as load_seed
from servicekit.commands import service_cli
from servicekit.db import standalone_session

app = service_cli(
    "framework-api",
    Settings,
    db.MIGRATIONS,
    port=8001,
    help="Collective framework-api: the canonical leadership framework.",
)


@app.command()
def seed() -> None:
    """Load the HSC Collective Leadership Framework 1.0.0 if it is not there yet."""
    with standalone_session(Settings().database_url) as session:
        version, created = load_seed(session)
        state = "seeded" if created else "already present"
        typer.echo(
            f"framework-api: HSC Collective Leadership Framework {version.version} {state} (version id {version.uid})"
        )

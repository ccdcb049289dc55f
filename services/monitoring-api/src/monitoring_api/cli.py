"""`monitoring-api`: migrate, seed (organisations and the strategy's actions), demo seed, retention purge
of idempotency records, and serve."""

from __future__ import annotations

import typer

from monitoring_api import db
from monitoring_api.config import Settings
from monitoring_api.seed.demo import seed_demo
from monitoring_api.seed.loader import seed as seed_strategy
from monitoring_api.surveys.results import DisclosureSettings
from servicekit.commands import service_cli
from servicekit.db import standalone_session

app = service_cli(
    "monitoring-api", Settings, db.MIGRATIONS, port=8003, help="Collective monitoring-api: outcome monitoring."
)


@app.command()
def seed() -> None:
    """Add the HSC organisations and the strategy's nine actions, if they are not there yet."""
    with standalone_session(Settings().database_url) as session:
        units, actions = seed_strategy(session)
    typer.echo(f"monitoring-api: {units} organisation(s) and {actions} action(s) added")


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo data set (structure, indicators with three years of values, plan check-ins), once."""
    settings = Settings()
    disclosure = DisclosureSettings.of(settings.survey_minimum, None, settings.survey_complementary_suppression)
    with standalone_session(settings.database_url) as session:
        created = seed_demo(session, disclosure=disclosure)
    typer.echo(f"monitoring-api: demo data {'created' if created else 'already present'}")

"""`recruitment-api`: migrate, demo seed, retention purges (candidates, idempotency records) and serve."""

from __future__ import annotations

import typer

from recruitment_api import db
from recruitment_api.config import Settings
from recruitment_api.privacy.service import purge_expired
from recruitment_api.seed.demo import seed_demo
from servicekit.auth import Principal
from servicekit.commands import service_cli
from servicekit.db import standalone_session
from servicekit.demo import DEMO_ASSESSOR, DEMO_ORG, DEMO_RECRUITER, demo_subject

app = service_cli(
    "recruitment-api", Settings, db.MIGRATIONS, port=8002, help="Collective recruitment-api: values-based recruitment."
)


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create the demo vacancy, with candidates and a panel of the demo accounts, if it is not there yet."""
    with standalone_session(Settings().database_url) as session:
        panel = [demo_subject(DEMO_RECRUITER), demo_subject(DEMO_ASSESSOR)]
        vacancy, created = seed_demo(session, DEMO_ORG, panel)
        typer.echo(f"recruitment-api: demo vacancy '{vacancy.title}' {'created' if created else 'already present'}")


@app.command()
def purge() -> None:
    """Erase candidates of closed vacancies whose retention period has ended."""
    with standalone_session(Settings().database_url) as session:
        erased = purge_expired(session, Principal(subject="retention-purge", org="*", scopes=frozenset()))
        session.commit()
    typer.echo(f"recruitment-api: erased personal data of {erased} candidate(s) past retention")

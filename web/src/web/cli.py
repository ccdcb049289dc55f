"""`web`: migrate the web's database, create the first administrator, purge what is past retention, serve."""

from __future__ import annotations

import os
import uuid
from typing import Annotated

import typer

from servicekit.commands import add_migrate, add_serve
from servicekit.db import standalone_session
from servicekit.demo import DEMO_ASSESSOR, DEMO_ORG, DEMO_RECRUITER, demo_subject
from web import db
from web.accounts import service
from web.accounts.organisations import ORGANISATIONS, is_organisation
from web.config import Settings

app = typer.Typer(help="Collective's web shell.", no_args_is_help=True)
add_migrate(app, "web", Settings, db.MIGRATIONS)
add_serve(
    app,
    app="web.main:create_app",
    port=8000,
    help="Serve the web (migrations run first unless WEB_MIGRATE_ON_STARTUP=false).",
)

PASSWORD_ENV = "COLLECTIVE_ADMIN_PASSWORD"  # noqa: S105  (the name of a variable, not a password)
DEMO_PASSWORD_ENV = "COLLECTIVE_DEMO_PASSWORD"  # noqa: S105  (the name of a variable, not a password)
DEMO_MANAGER = "manager"
DEMO_REGIONAL = "regional"

# The demo accounts: recruitment-api's demo seed puts the first two on the demo vacancy's panel (by
# these ids).
DEMO_ACCOUNTS = (
    service.DemoAccount(
        DEMO_RECRUITER,
        "Demo Recruiter",
        ("recruitment_admin", "assessor", "equality_officer"),
        uuid.UUID(demo_subject(DEMO_RECRUITER)),
    ),
    service.DemoAccount(DEMO_ASSESSOR, "Demo Assessor", ("assessor",), uuid.UUID(demo_subject(DEMO_ASSESSOR))),
    # A manager of BSO, whose plan, indicators and vacancies the services' demo seeds fill: their
    # home is My organisation (recruitment admin too, so it shows the recruitment headline).
    service.DemoAccount(
        DEMO_MANAGER, "Demo Manager", ("manager", "recruitment_admin"), uuid.UUID(demo_subject(DEMO_MANAGER))
    ),
    # A regional lead (as at the Department of Health or SPPG): every organisation's plan side by side.
    service.DemoAccount(
        DEMO_REGIONAL, "Demo Regional Lead", ("regional_lead",), uuid.UUID(demo_subject(DEMO_REGIONAL))
    ),
)


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Username of the first administrator.")] = "admin",
    org: Annotated[str, typer.Option(help="Organisation code, e.g. BSO.")] = "BSO",
    display_name: Annotated[str, typer.Option(help="The administrator's name as shown.")] = "Administrator",
) -> None:
    """Create the first administrator of an organisation if that username is free.

    The password comes from COLLECTIVE_ADMIN_PASSWORD, or is generated and printed once."""
    if not is_organisation(org):
        typer.echo(f"Unknown organisation {org!r}; use one of: {', '.join(ORGANISATIONS)}", err=True)
        raise typer.Exit(2)
    settings = Settings()
    if settings.migrate_on_startup:
        db.upgrade(settings.database_url)
    password = os.environ.get(PASSWORD_ENV) or None
    try:
        with standalone_session(settings.database_url, expire_on_commit=False) as session:
            user, generated = service.ensure_admin(
                session, username=username, org=org, display_name=display_name, password=password
            )
    except service.InvalidInput as exc:
        for field, message in exc.errors.items():
            typer.echo(f"{field}: {message}", err=True)
        raise typer.Exit(2) from exc
    if user is None:
        typer.echo(f"The user {username!r} already exists; nothing changed.")
        return
    typer.echo(f"Created administrator {user.username!r} of {org} ({ORGANISATIONS[org]}).")
    if generated:
        typer.echo(f"Password (shown once; keep it safe): {generated}")
    else:
        typer.echo(f"Password: the one given in {PASSWORD_ENV}.")


@app.command("create-demo-users")
def create_demo_users() -> None:
    """Create the demo accounts `recruiter`, `assessor`, `manager` and `regional` of the demo organisation, if
    missing.

    The first two sit on the panel of recruitment-api's demo vacancy (`recruitment-api seed-demo`). The
    password comes from COLLECTIVE_DEMO_PASSWORD, or is generated and printed once. Running it
    again changes nothing."""
    settings = Settings()
    if settings.migrate_on_startup:
        db.upgrade(settings.database_url)
    given = os.environ.get(DEMO_PASSWORD_ENV) or None
    password = given or service.generate_password()
    try:
        with standalone_session(settings.database_url, expire_on_commit=False) as session:
            outcomes = service.ensure_demo_users(session, DEMO_ORG, DEMO_ACCOUNTS, password)
    except service.InvalidInput as exc:
        for field, message in exc.errors.items():
            typer.echo(f"{field}: {message}", err=True)
        raise typer.Exit(2) from exc
    created = [o.account.username for o in outcomes if o.created]
    for outcome in outcomes:
        if outcome.conflict:
            typer.echo(f"Warning: {outcome.conflict}.", err=True)
        elif not outcome.created:
            typer.echo(f"The demo user {outcome.account.username!r} already exists; nothing changed.")
    if not created:
        return
    names = ", ".join(repr(name) for name in created)
    typer.echo(f"Created demo users {names} of {DEMO_ORG} ({ORGANISATIONS[DEMO_ORG]}).")
    if given:
        typer.echo(f"Password: the one given in {DEMO_PASSWORD_ENV}.")
    else:
        typer.echo(f"Password of the demo users (shown once; keep it safe): {password}")


@app.command()
def purge() -> None:
    """Remove expired sessions, sign-in records older than WEB_SIGN_IN_AUDIT_RETENTION_DAYS (365 by
    default) and lapsed counts of failed sign-ins. Run it daily (the deploy/ CronJob does)."""
    settings = Settings()
    with standalone_session(settings.database_url) as session:
        purged = service.purge(
            session,
            now=db.utcnow(),
            event_days=settings.sign_in_audit_retention_days,
            lockout_minutes=settings.lockout_minutes,
        )
    typer.echo(
        f"web: removed {purged.sessions} expired session(s), {purged.events} sign-in record(s) older than "
        f"{settings.sign_in_audit_retention_days} days and {purged.throttles} lapsed failed-sign-in count(s)"
    )

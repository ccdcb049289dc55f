"""`web`: migrate the web's database, create the first administrator, serve the pages."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from sqlmodel import Session

from servicekit.db import make_engine
from web import db
from web.accounts import service
from web.accounts.organisations import ORGANISATIONS, is_organisation
from web.config import Settings

app = typer.Typer(help="Collective's web shell.", no_args_is_help=True)

PASSWORD_ENV = "COLLECTIVE_ADMIN_PASSWORD"  # noqa: S105  (the name of a variable, not a password)


@app.command()
def migrate() -> None:
    """Bring the web's database up to date (alembic upgrade head)."""
    settings = Settings()
    db.upgrade(settings.database_url)
    typer.echo("web database is up to date")


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
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            user, generated = service.ensure_admin(
                session, username=username, org=org, display_name=display_name, password=password
            )
    except service.InvalidInput as exc:
        for field, message in exc.errors.items():
            typer.echo(f"{field}: {message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    if user is None:
        typer.echo(f"The user {username!r} already exists; nothing changed.")
        return
    typer.echo(f"Created administrator {user.username!r} of {org} ({ORGANISATIONS[org]}).")
    if generated:
        typer.echo(f"Password (shown once; keep it safe): {generated}")
    else:
        typer.echo(f"Password: the one given in {PASSWORD_ENV}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web with uvicorn."""
    import uvicorn

    uvicorn.run("web.main:create_app", factory=True, host=host, port=port, access_log=False, proxy_headers=True)

"""The commands every deployable's typer CLI has, written once: `migrate`, `serve` and, for a
service, `purge-idempotency`. A service's `cli.py` is `service_cli(...)` plus its own commands."""

# No `from __future__ import annotations`: typer reads the options' annotations, which name this
# module's closures (the settings' env prefix, the port), when each command is defined.
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from servicekit.config import DatabaseSettings
from servicekit.db import migrate, standalone_session
from servicekit.idempotency import DEFAULT_RETENTION, purge_idempotency


def _env_prefix(settings: type[DatabaseSettings]) -> str:
    return str(settings.model_config.get("env_prefix", ""))


def add_migrate(cli: typer.Typer, name: str, settings: Callable[[], DatabaseSettings], migrations: Path) -> None:
    @cli.command("migrate")
    def migrate_command() -> None:
        """Apply the database migrations (alembic upgrade head)."""
        migrate(migrations, settings().database_url)
        typer.echo(f"{name}: database is at the latest migration")


def add_serve(cli: typer.Typer, *, app: str, port: int, help: str) -> None:
    """`serve`: uvicorn running the factory `app` ("package.main:create_app") on `port` by default."""

    @cli.command("serve", help=help)
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = port,
        workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    ) -> None:
        import uvicorn

        uvicorn.run(app, factory=True, host=host, port=port, workers=workers, access_log=False, proxy_headers=True)


def add_purge_idempotency(cli: typer.Typer, name: str, settings: type[DatabaseSettings]) -> None:
    @cli.command("purge-idempotency")
    def purge_idempotency_command(
        older_than_hours: Annotated[
            int,
            typer.Option(
                min=1,
                envvar=f"{_env_prefix(settings)}IDEMPOTENCY_RETENTION_HOURS",
                help="Remove stored Idempotency-Key responses older than this many hours.",
            ),
        ] = int(DEFAULT_RETENTION.total_seconds() // 3600),
    ) -> None:
        """Remove stored Idempotency-Key responses past their age: a retry after that is a new request."""
        with standalone_session(settings().database_url) as session:
            removed = purge_idempotency(session, timedelta(hours=older_than_hours))
        typer.echo(f"{name}: removed {removed} idempotency record(s) older than {older_than_hours} hours")


def service_cli(
    name: str, settings: type[DatabaseSettings], migrations: Path, *, port: int, help: str, app: str | None = None
) -> typer.Typer:
    """The CLI of the service `name` ("framework-api") with `migrate`, `purge-idempotency` and `serve`
    (of `app`, by default the package's `main:create_app`, on `port` by default)."""
    cli = typer.Typer(help=help, no_args_is_help=True)
    add_migrate(cli, name, settings, migrations)
    add_purge_idempotency(cli, name, settings)
    add_serve(
        cli,
        app=app or f"{name.replace('-', '_')}.main:create_app",
        port=port,
        help=f"Serve the API (migrations run first unless {_env_prefix(settings)}MIGRATE_ON_STARTUP=false).",
    )
    return cli

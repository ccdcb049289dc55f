"""`collective-keys`: local signing keys and client tokens for HR systems in embedded mode."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from servicekit.keys import PRIVATE_NAME, ensure_keys, issue_token

app = typer.Typer(help="Local signing keys and client tokens (embedded mode).", no_args_is_help=True)

KeysDir = Annotated[Path, typer.Option(help="Where the key pair lives.")]


@app.command()
def init(keys_dir: KeysDir = Path("var/keys")) -> None:
    """Create the Ed25519 key pair if it is missing."""
    private_path, public_path = ensure_keys(keys_dir)
    typer.echo(f"signing key: {private_path}\npublic key:  {public_path}")


@app.command()
def token(
    org: Annotated[str, typer.Option(help="Organisation code the client belongs to, e.g. BHSCT.")],
    scope: Annotated[list[str], typer.Option(help="A scope to grant; repeat for several.")],
    subject: Annotated[str, typer.Option(help="Client name recorded in audit trails.")] = "hr-system",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
    keys_dir: KeysDir = Path("var/keys"),
) -> None:
    """Print a client token for an HR system (embedded mode only)."""
    ensure_keys(keys_dir)
    private_pem = (keys_dir / PRIVATE_NAME).read_bytes()
    typer.echo(issue_token(private_pem, subject=subject, org=org, scopes=scope, ttl_seconds=ttl))

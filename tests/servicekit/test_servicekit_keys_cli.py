"""Local Ed25519 keys, token issuing, and the `collective-keys` command."""

from __future__ import annotations

import stat
import threading
import time

import jwt
import pytest
from typer.testing import CliRunner

from servicekit.auth import TokenVerifier
from servicekit.cli import app as cli
from servicekit.keys import PRIVATE_NAME, PUBLIC_NAME, ensure_keys, issue_token, public_key_pem

runner = CliRunner()


def verifier_for(directory) -> TokenVerifier:
    return TokenVerifier(
        issuer="collective-local",
        audience="collective",
        public_key_pem=(directory / PUBLIC_NAME).read_bytes(),
    )


# --- keys ----------------------------------------------------------------------------------


def test_ensure_keys_creates_a_private_key_only_the_owner_can_read(tmp_path):
    private_path, public_path = ensure_keys(tmp_path / "keys")
    assert private_path.name == PRIVATE_NAME
    assert public_path.name == PUBLIC_NAME
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert private_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_path.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert public_key_pem(private_path.read_bytes()) == public_path.read_bytes()
    assert [p.name for p in (tmp_path / "keys").iterdir() if p.name.endswith(".tmp")] == []


def test_ensure_keys_keeps_existing_keys(tmp_path):
    private_path, public_path = ensure_keys(tmp_path)
    before = private_path.read_bytes(), public_path.read_bytes()
    ensure_keys(tmp_path)
    assert (private_path.read_bytes(), public_path.read_bytes()) == before


def test_ensure_keys_without_hard_links(tmp_path, monkeypatch):
    def no_links(*_args):
        raise PermissionError("hard links not supported")

    monkeypatch.setattr("servicekit.keys.os.link", no_links)
    private_path, public_path = ensure_keys(tmp_path)
    assert public_key_pem(private_path.read_bytes()) == public_path.read_bytes()
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_ensure_keys_restores_a_missing_public_key(tmp_path):
    private_path, public_path = ensure_keys(tmp_path)
    public = public_path.read_bytes()
    public_path.unlink()
    ensure_keys(tmp_path)
    assert public_path.read_bytes() == public


def test_ensure_keys_is_safe_when_processes_start_together(tmp_path):
    """`make run` starts several processes at once; all must end up with one complete key pair
    (no FileExistsError, no half-written key read by a neighbour)."""
    for attempt in range(10):
        directory = tmp_path / f"race-{attempt}"
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []
        publics: list[bytes] = []

        def start(directory=directory, barrier=barrier, errors=errors, publics=publics) -> None:
            try:
                barrier.wait()
                _private, public = ensure_keys(directory)
                publics.append(public.read_bytes())
            except BaseException as error:  # collected for the assertion below
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(set(publics)) == 1
        private = (directory / PRIVATE_NAME).read_bytes()
        assert public_key_pem(private) == publics[0]


def test_issue_token_claims(keys):
    token = issue_token(
        keys.private_pem,
        subject="s",
        org="BHSCT",
        scopes=["b", "a", "b"],
        ttl_seconds=60,
        name="Sam",
        now=1_000_000,
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "collective-local"
    assert claims["aud"] == "collective"
    assert (claims["sub"], claims["org"], claims["name"]) == ("s", "BHSCT", "Sam")
    assert claims["scope"] == "a b"
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (1_000_000, 1_000_000, 1_000_060)
    assert claims["jti"]


def test_issue_token_leaves_out_an_empty_name_and_makes_each_token_unique(keys):
    unverified = {"verify_signature": False}
    first = jwt.decode(issue_token(keys.private_pem, subject="s", org="o", scopes=[]), options=unverified)
    second = jwt.decode(issue_token(keys.private_pem, subject="s", org="o", scopes=[]), options=unverified)
    assert "name" not in first
    assert first["scope"] == ""
    assert first["jti"] != second["jti"]


def test_issued_token_verifies(keys):
    principal = verifier_for(keys.public_path.parent).verify(
        issue_token(keys.private_pem, subject="web", org="SEHSCT", scopes=["framework:read"])
    )
    assert (principal.subject, principal.org, principal.scopes) == (
        "web",
        "SEHSCT",
        frozenset({"framework:read"}),
    )


# --- the CLI -------------------------------------------------------------------------------


def test_cli_without_arguments_shows_help():
    result = runner.invoke(cli, [])
    assert "init" in result.output
    assert "token" in result.output


def test_cli_init_creates_keys_once(tmp_path):
    directory = tmp_path / "var" / "keys"
    first = runner.invoke(cli, ["init", "--keys-dir", str(directory)])
    assert first.exit_code == 0, first.output
    assert str(directory / PRIVATE_NAME) in first.output
    private = (directory / PRIVATE_NAME).read_bytes()
    public = (directory / PUBLIC_NAME).read_bytes()

    second = runner.invoke(cli, ["init", "--keys-dir", str(directory)])
    assert second.exit_code == 0, second.output
    assert (directory / PRIVATE_NAME).read_bytes() == private
    assert (directory / PUBLIC_NAME).read_bytes() == public


def test_cli_token_prints_a_token_that_verifies(tmp_path):
    directory = tmp_path / "keys"
    runner.invoke(cli, ["init", "--keys-dir", str(directory)])
    result = runner.invoke(
        cli,
        [
            "token",
            "--org",
            "BHSCT",
            "--scope",
            "framework:read",
            "--scope",
            "recruitment:read",
            "--subject",
            "hr-ats",
            "--ttl",
            "120",
            "--keys-dir",
            str(directory),
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    principal = verifier_for(directory).verify(token)
    assert principal.subject == "hr-ats"
    assert principal.org == "BHSCT"
    assert principal.scopes == frozenset({"framework:read", "recruitment:read"})
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 120
    assert claims["exp"] > time.time()


def test_cli_token_creates_keys_when_missing(tmp_path):
    directory = tmp_path / "fresh"
    result = runner.invoke(cli, ["token", "--org", "WHSCT", "--scope", "x", "--keys-dir", str(directory)])
    assert result.exit_code == 0, result.output
    assert verifier_for(directory).verify(result.output.strip()).subject == "hr-system"


@pytest.mark.parametrize("missing", ["--org", "--scope"])
def test_cli_token_requires_org_and_scope(tmp_path, missing):
    arguments = {"--org": "BHSCT", "--scope": "x"}
    del arguments[missing]
    flat = [part for pair in arguments.items() for part in pair]
    result = runner.invoke(cli, ["token", *flat, "--keys-dir", str(tmp_path)])
    assert result.exit_code != 0

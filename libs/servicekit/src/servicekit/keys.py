"""Local Ed25519 signing keys and token issuing for embedded mode.

Production uses an OIDC provider; these are what `make run` creates under var/keys/ so the web
can sign short-lived tokens for its users and an HR system can be given a client token.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_NAME = "jwt-signing.pem"
PUBLIC_NAME = "jwt-signing.pub.pem"


def ensure_keys(directory: Path) -> tuple[Path, Path]:
    """Create the key pair once; later calls keep what is there.

    Safe when several processes start together (`make run`): each file appears complete or not
    at all, and the first signing key written wins.
    """
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    if not private_path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        staged = _write_staged(directory, pem, 0o600)
        try:
            os.link(staged, private_path)  # atomic; fails if another process got there first
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links
            if not private_path.exists():
                os.replace(staged, private_path)
        finally:
            staged.unlink(missing_ok=True)
    if not public_path.exists():
        staged = _write_staged(directory, public_key_pem(private_path.read_bytes()), 0o644)
        os.replace(staged, public_path)
    return private_path, public_path


def _write_staged(directory: Path, content: bytes, mode: int) -> Path:
    path = directory / f".{uuid.uuid4().hex}.tmp"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return path


def public_key_pem(private_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(private_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def issue_token(
    private_pem: bytes,
    *,
    subject: str,
    org: str,
    scopes: Iterable[str],
    ttl_seconds: int = 300,
    issuer: str = "collective-local",
    audience: str = "collective",
    name: str | None = None,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "org": org,
        "scope": " ".join(sorted(set(scopes))),
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    if name:
        claims["name"] = name
    return jwt.encode(claims, private_pem, algorithm="EdDSA")

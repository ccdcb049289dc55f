"""Bearer JWT verification: scopes and the organisation (`org`) claim.

Services only verify. Tokens are EdDSA (Ed25519) signed, checked against a local public key
(embedded mode) or the JWKS of an OIDC provider (production).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from servicekit.problems import ProblemError

ALGORITHMS = ["EdDSA"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person through the web, an HR system, or another service."""

    subject: str
    org: str
    scopes: frozenset[str]
    name: str | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def _unauthorized(detail: str, error: str = "invalid_token") -> ProblemError:
    return ProblemError(
        401,
        "unauthorized",
        detail,
        title="Unauthorized",
        headers={"WWW-Authenticate": f'Bearer error="{error}"'},
    )


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        public_key_pem: bytes | None = None,
        jwks_url: str | None = None,
        leeway_seconds: int = 30,
    ) -> None:
        if public_key_pem is None and jwks_url is None:
            raise ValueError("a public key or a JWKS URL is needed to verify tokens")
        self._key = public_key_pem
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds

    @classmethod
    def from_settings(cls, settings) -> TokenVerifier:
        key = None
        if settings.jwks_url is None:
            key = Path(settings.jwt_public_key_path).read_bytes()
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            public_key_pem=key,
            jwks_url=settings.jwks_url,
        )

    def verify(self, token: str) -> Principal:
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._key
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise _unauthorized("The token has expired.") from exc
        except jwt.InvalidSignatureError as exc:
            raise _unauthorized("The token's signature does not verify.") from exc
        except jwt.PyJWKClientError as exc:
            raise _unauthorized("No signing key matches the token.") from exc
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"The token is not valid: {exc}.") from exc
        org = claims.get("org")
        if not isinstance(org, str) or not org:
            raise _unauthorized("The token has no 'org' claim.")
        scope = claims.get("scope", "")
        scopes = scope.split() if isinstance(scope, str) else list(claims.get("scp", []))
        return Principal(subject=str(claims["sub"]), org=org, scopes=frozenset(scopes), name=claims.get("name"))


_bearer = HTTPBearer(auto_error=False, description="A JWT with scopes and an `org` claim.")


def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise _unauthorized("A bearer token is required.", error="invalid_request")
    principal = request.app.state.verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


class RequireScopes:
    """Dependency: the caller must hold every scope named (403 otherwise)."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes

    def __call__(self, principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        missing = [s for s in self.scopes if not principal.has(s)]
        if missing:
            raise ProblemError(
                403,
                "insufficient-scope",
                f"This operation needs the scope(s): {', '.join(missing)}.",
                title="Forbidden",
                headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(self.scopes)}"'},
            )
        return principal

"""Bearer JWT verification: scopes and the organisation (`org`) claim.

Services only verify. Embedded tokens are EdDSA (Ed25519) signed and checked against a local
public key; in production they are checked against the JWKS of an OIDC provider, with the
asymmetric algorithm the provider's key names (EdDSA, ES*, RS* or PS*; never HS*).
Scopes come from `scope` or `scp` (a space-separated string or a list).

Free of any web framework, so domain code can name a `Principal`; the FastAPI dependencies that
read the bearer token from a request are in `servicekit.params`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from servicekit.errors import ProblemError

if TYPE_CHECKING:
    from servicekit.config import ServiceSettings

ALGORITHMS = ["EdDSA"]
# An OIDC provider's JWKS may sign with any asymmetric algorithm (most use RS256); the key the
# JWKS names pins the algorithm, and symmetric (HS*) algorithms are never accepted.
JWKS_ALGORITHMS = frozenset({"EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person through the web, an HR system, or another service."""

    subject: str
    org: str
    scopes: frozenset[str]
    name: str | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def unauthorized(detail: str, error: str | None = "invalid_token") -> ProblemError:
    """401 with the RFC 6750 challenge."""
    # RFC 6750 section 3.1: a request without credentials gets a bare challenge, no error code.
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return ProblemError(
        401,
        "unauthorized",
        detail,
        title="Unauthorized",
        headers={"WWW-Authenticate": challenge},
    )


# What is wrong with a refused token, in plain words: the decoder's own messages ("Not enough
# segments", "Invalid payload padding") mean nothing to an integrator and describe its internals.
# Subclasses come before their parents (InvalidSignatureError is a DecodeError).
_TOKEN_FAULTS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "The bearer token has expired."),
    (jwt.ImmatureSignatureError, "The bearer token is not valid yet (its nbf or iat is in the future)."),
    (jwt.InvalidSignatureError, "The bearer token's signature does not verify."),
    (jwt.DecodeError, "The bearer token is not a well-formed JWT."),
    (jwt.InvalidAlgorithmError, "The bearer token is signed with an algorithm that is not accepted."),
    (jwt.InvalidAudienceError, "The bearer token is meant for another audience."),
    (jwt.InvalidIssuerError, "The bearer token's issuer is not trusted."),
    (jwt.InvalidIssuedAtError, "The bearer token's issue time (iat) is not a valid time."),
    (jwt.InvalidKeyError, "The bearer token cannot be checked with the key it names."),
)


def _invalid_token(exc: jwt.InvalidTokenError) -> ProblemError:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        # The claim is one of the names this module requires, never token content.
        return unauthorized(f"The bearer token lacks the required '{exc.claim}' claim.")
    for kind, detail in _TOKEN_FAULTS:
        if isinstance(exc, kind):
            return unauthorized(detail)
    return unauthorized("The bearer token is not valid.")


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """`scope` (OAuth 2, space-separated) or `scp` (Entra ID: a string; Okta: a list)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return frozenset(value.split())
        if isinstance(value, list):
            return frozenset(str(item) for item in value)
    return frozenset()


def _ed25519_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the local token verification key must be an Ed25519 public key (PEM)")
    return key


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
        # Parsed once, and checked now: a wrong key file fails at start-up, not on every request.
        self._key = _ed25519_public_key(public_key_pem) if public_key_pem is not None else None
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=5) if jwks_url else None
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier | IssuerRouter:
        key = None
        if settings.jwks_url is None and settings.jwt_public_key_path is not None:
            key = Path(settings.jwt_public_key_path).read_bytes()
        verifier = cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            public_key_pem=key,
            jwks_url=settings.jwks_url,
        )
        local_issuer = getattr(settings, "jwt_local_issuer", None)
        if settings.jwks_url is None or not local_issuer or settings.jwt_public_key_path is None:
            return verifier
        # Production with an OIDC provider, plus the web's own signed user tokens under their issuer.
        local = cls(
            issuer=local_issuer,
            audience=settings.jwt_audience,
            public_key_pem=Path(settings.jwt_public_key_path).read_bytes(),
        )
        return IssuerRouter([verifier, local])

    def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                signing_key = self._jwks.get_signing_key_from_jwt(token)
                if signing_key.algorithm_name not in JWKS_ALGORITHMS:
                    raise unauthorized("The bearer token's signing key uses an algorithm that is not accepted.")
                key, algorithms = signing_key.key, [signing_key.algorithm_name]
            else:
                key, algorithms = self._key, ALGORITHMS
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            # The provider is down: the token may well be good, so no 401 for the client to act on.
            raise ProblemError(
                503,
                "token-keys-unavailable",
                "The keys that verify tokens cannot be fetched just now; retry shortly.",
                title="Service unavailable",
                headers={"Retry-After": "5"},
            ) from exc
        except (jwt.PyJWKClientError, jwt.PyJWKError, jwt.PyJWKSetError) as exc:
            raise unauthorized("No signing key of the identity provider matches the bearer token.") from exc
        except jwt.InvalidTokenError as exc:
            raise _invalid_token(exc) from exc
        org = claims.get("org")
        if not isinstance(org, str) or not org:
            raise unauthorized("The bearer token has no 'org' claim naming an organisation.")
        name = claims.get("name")
        return Principal(
            subject=str(claims["sub"]),
            org=org,
            scopes=_scopes(claims),
            name=name if isinstance(name, str) else None,
        )


class IssuerRouter:
    """Trusts several issuers, each with its own keys: a token is checked by its issuer's verifier."""

    def __init__(self, verifiers: list[TokenVerifier]) -> None:
        if len({v.issuer for v in verifiers}) != len(verifiers):
            raise ValueError("each trusted issuer must be named once")
        self.verifiers = {v.issuer: v for v in verifiers}

    def verify(self, token: str) -> Principal:
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError as exc:
            raise _invalid_token(exc) from exc
        verifier = self.verifiers.get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise unauthorized("The bearer token's issuer is not trusted.")
        return verifier.verify(token)


class Verifier(Protocol):
    """What checks a token: a `TokenVerifier`, an `IssuerRouter`, or a test's stand-in."""

    def verify(self, token: str) -> Principal: ...


class VerifiedTokens:
    """Tokens whose signature has been checked, kept until they expire. A client sends the same
    token with request after request; checking its signature every time would be most of what
    authenticating costs. Bounded: the least recently used token is forgotten first."""

    def __init__(self, verifier: object, size: int = 4096, leeway_seconds: int = 30) -> None:
        self.verifier = verifier
        self.size = size
        self.leeway = leeway_seconds
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            principal, expires = entry
            if time.time() > expires + self.leeway:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return principal

    def put(self, token: str, principal: Principal) -> None:
        # The signature was verified a moment ago, so the unverified read of `exp` is the token's own.
        expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
        if not isinstance(expires, int | float):
            return
        with self._lock:
            self._entries[token] = (principal, float(expires))
            self._entries.move_to_end(token)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


async def authenticate(state: Any, token: str) -> Principal:
    """The principal of a bearer token, checked by `state.verifier` (an app's state) and remembered
    in `state.verified_tokens` until it expires; raises the 401 (or 503) problem otherwise."""
    verifier: Verifier = state.verifier
    known: VerifiedTokens | None = getattr(state, "verified_tokens", None)
    if known is None or known.verifier is not verifier:  # a new verifier (new keys) trusts nothing old
        known = state.verified_tokens = VerifiedTokens(verifier)
    principal = known.get(token)
    if principal is None:
        if _may_fetch_keys(verifier):
            # Fetching an identity provider's keys is network I/O: not on the event loop.
            principal = await anyio.to_thread.run_sync(verifier.verify, token)
        else:
            principal = verifier.verify(token)
        known.put(token, principal)
    return principal


def _may_fetch_keys(verifier: object) -> bool:
    if isinstance(verifier, IssuerRouter):
        return any(_may_fetch_keys(v) for v in verifier.verifiers.values())
    return getattr(verifier, "_jwks", None) is not None

"""Tokens a service presents when it calls another service.

Embedded mode signs a short-lived token with the local Ed25519 key; production uses the OIDC
provider's client-credentials grant. Either way the token is reused until shortly before expiry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path

import httpx

from servicekit.keys import issue_token

_REFRESH_MARGIN = 30


class ServiceTokenProvider:
    def __init__(
        self,
        *,
        subject: str,
        scopes: Iterable[str],
        private_key_path: Path | None = None,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        issuer: str = "collective-local",
        audience: str = "collective",
        ttl_seconds: int = 300,
    ) -> None:
        if private_key_path is None and token_url is None:
            raise ValueError("a signing key or a token URL is needed to obtain service tokens")
        self.subject = subject
        self.scopes = sorted(set(scopes))
        self.private_key_path = private_key_path
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, org: str) -> str:
        """A token acting for `org` (the organisation whose request needs the call)."""
        with self._lock:
            cached = self._cache.get(org)
            if cached and cached[1] - _REFRESH_MARGIN > time.time():
                return cached[0]
            token, expires = self._fetch(org)
            self._cache[org] = (token, expires)
            return token

    def _fetch(self, org: str) -> tuple[str, float]:
        if self.private_key_path is not None:
            now = time.time()
            token = issue_token(
                self.private_key_path.read_bytes(),
                subject=self.subject,
                org=org,
                scopes=self.scopes,
                ttl_seconds=self.ttl,
                issuer=self.issuer,
                audience=self.audience,
                now=now,
            )
            return token, now + self.ttl
        assert self.token_url is not None  # __init__ refuses a provider with neither key nor token URL
        response = httpx.post(
            self.token_url,
            data={"grant_type": "client_credentials", "scope": " ".join(self.scopes), "audience": self.audience},
            auth=(self.client_id or "", self.client_secret or ""),
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        return body["access_token"], time.time() + float(body.get("expires_in", 300))

"""Several trusted issuers: the OIDC provider's JWKS and the web's local key, each for its own tokens."""

from __future__ import annotations

import time

import jwt
import pytest

from servicekit.auth import IssuerRouter, TokenVerifier
from servicekit.config import ServiceSettings
from servicekit.errors import ProblemError
from servicekit.keys import issue_token
from support import Keys


def test_each_issuer_is_checked_with_its_own_key(tmp_path):
    provider, web = Keys(tmp_path / "provider"), Keys(tmp_path / "web")
    router = IssuerRouter(
        [
            TokenVerifier(
                issuer="https://idp.example", audience="collective", public_key_pem=provider.public_path.read_bytes()
            ),
            TokenVerifier(issuer="collective-web", audience="collective", public_key_pem=web.public_path.read_bytes()),
        ]
    )
    from_provider = issue_token(
        provider.private_pem, subject="hr", org="BHSCT", scopes=["framework:read"], issuer="https://idp.example"
    )
    from_web = issue_token(web.private_pem, subject="u1", org="BSO", scopes=["framework:read"], issuer="collective-web")
    assert router.verify(from_provider).subject == "hr"
    assert router.verify(from_web).org == "BSO"
    # A token claiming the web's issuer but signed by the provider's key is refused.
    forged = issue_token(provider.private_pem, subject="x", org="BSO", scopes=[], issuer="collective-web")
    with pytest.raises(ProblemError) as refused:
        router.verify(forged)
    assert refused.value.status == 401
    stranger = jwt.encode(
        {"iss": "elsewhere", "aud": "collective", "sub": "x", "org": "BSO", "exp": int(time.time()) + 60},
        web.private_pem,
        algorithm="EdDSA",
    )
    with pytest.raises(ProblemError) as unknown:
        router.verify(stranger)
    assert "issuer" in unknown.value.detail


def test_settings_with_jwks_and_a_local_issuer_trust_both(tmp_path):
    web = Keys(tmp_path / "web")
    settings = ServiceSettings(
        jwks_url="https://idp.example/jwks",
        jwt_issuer="https://idp.example",
        jwt_local_issuer="collective-web",
        jwt_public_key_path=web.public_path,
    )
    verifier = TokenVerifier.from_settings(settings)
    assert isinstance(verifier, IssuerRouter)
    assert set(verifier.verifiers) == {"https://idp.example", "collective-web"}
    plain = TokenVerifier.from_settings(ServiceSettings(jwt_public_key_path=web.public_path))
    assert isinstance(plain, TokenVerifier)

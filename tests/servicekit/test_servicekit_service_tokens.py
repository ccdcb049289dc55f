"""Tokens a service presents to another: embedded signing and client credentials, with caching."""

from __future__ import annotations

import httpx
import pytest
import respx

from servicekit.auth import TokenVerifier
from servicekit.service_tokens import ServiceTokenProvider

TOKEN_URL = "https://idp.example/oauth2/token"


@pytest.fixture
def verifier(keys) -> TokenVerifier:
    return TokenVerifier(issuer="collective-local", audience="collective", public_key_pem=keys.public_path.read_bytes())


def test_needs_a_key_or_a_token_url():
    with pytest.raises(ValueError, match="signing key or a token URL"):
        ServiceTokenProvider(subject="recruitment-api", scopes=["framework:read"])


def test_embedded_token_verifies_and_acts_for_the_organisation(keys, verifier):
    provider = ServiceTokenProvider(
        subject="recruitment-api", scopes=["framework:read", "framework:read"], private_key_path=keys.private_path
    )
    principal = verifier.verify(provider.token("BHSCT"))
    assert principal.subject == "recruitment-api"
    assert principal.org == "BHSCT"
    assert principal.scopes == frozenset({"framework:read"})


def test_embedded_tokens_are_cached_per_organisation(keys):
    provider = ServiceTokenProvider(subject="s", scopes=["x"], private_key_path=keys.private_path)
    first = provider.token("BHSCT")
    assert provider.token("BHSCT") == first
    assert provider.token("SEHSCT") != first


def test_a_token_near_expiry_is_replaced(keys, monkeypatch):
    provider = ServiceTokenProvider(subject="s", scopes=["x"], private_key_path=keys.private_path, ttl_seconds=60)
    first = provider.token("BHSCT")
    import servicekit.service_tokens as module

    real_time = module.time.time
    monkeypatch.setattr(module.time, "time", lambda: real_time() + 45)  # inside the refresh margin
    assert provider.token("BHSCT") != first


@respx.mock
def test_client_credentials_grant_is_used_and_cached():
    route = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": "from-the-idp", "expires_in": 600})
    )
    provider = ServiceTokenProvider(
        subject="recruitment-api",
        scopes=["framework:read"],
        token_url=TOKEN_URL,
        client_id="recruitment",
        client_secret="s3cret",
        audience="collective",
    )
    assert provider.token("BHSCT") == "from-the-idp"
    assert provider.token("BHSCT") == "from-the-idp"
    assert route.call_count == 1
    request = route.calls[0].request
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {"grant_type": "client_credentials", "scope": "framework:read", "audience": "collective"}
    assert request.headers["authorization"].startswith("Basic ")


@respx.mock
def test_client_credentials_failure_is_raised():
    respx.post(TOKEN_URL).mock(return_value=httpx.Response(401, json={"error": "invalid_client"}))
    provider = ServiceTokenProvider(subject="s", scopes=["x"], token_url=TOKEN_URL, client_id="c", client_secret="bad")
    with pytest.raises(httpx.HTTPStatusError):
        provider.token("BHSCT")

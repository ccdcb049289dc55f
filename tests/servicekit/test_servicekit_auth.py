"""Bearer JWT verification: every refusal (401, 403), scopes, the org claim, local key and JWKS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from servicekit.auth import Principal, TokenVerifier, VerifiedTokens
from servicekit.config import ServiceSettings
from servicekit.errors import PROBLEM_MEDIA_TYPE, ProblemError, problem_type
from servicekit.keys import issue_token


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "collective-local",
        "aud": "collective",
        "sub": "tester",
        "org": "BHSCT",
        "scope": "things:read",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def sign(keys, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), keys.private_pem, algorithm="EdDSA")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response, detail_part: str | None = None) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"] == problem_type("unauthorized")
    assert body["status"] == 401
    if detail_part is not None:
        assert detail_part in body["detail"]
    return body


# --- 401 ---------------------------------------------------------------------------------


def test_missing_token_is_401_with_a_bare_challenge(sk_client):
    response = sk_client.get("/things")
    assert_unauthorized(response, "bearer token is required")
    # RFC 6750 3.1: no error code when the request carries no credentials at all.
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "bearer"],
)
def test_other_schemes_or_empty_bearer_are_401(sk_client, authorization):
    assert_unauthorized(sk_client.get("/things", headers={"Authorization": authorization}))


@pytest.mark.parametrize("token", ["abc", "a.b.c", "not-a-jwt.at.all", "a.b", "..", "e30.e30", "e30.!!.e30"])
def test_malformed_token_is_401_in_plain_words_not_the_decoders(sk_client, token):
    response = sk_client.get("/things", headers=bearer(token))
    body = assert_unauthorized(response)
    # Never the decoder's own wording ("Not enough segments", "Invalid header padding", ...).
    assert body["detail"] == "The bearer token is not a well-formed JWT."
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_expired_token_is_401(sk_client, keys):
    token = keys.token(["things:read"], ttl_seconds=60, now=time.time() - 3600)
    response = sk_client.get("/things", headers=bearer(token))
    assert_unauthorized(response, "expired")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_recently_expired_token_is_accepted_within_the_leeway(sk_client, keys):
    # Expired a second or two ago: the 30 s leeway still holds for the ~28 s the request may take
    # on a busy machine, and without any leeway it is refused.
    token = keys.token(["things:read"], ttl_seconds=60, now=time.time() - 61)
    assert sk_client.get("/things", headers=bearer(token)).status_code == 200


def test_token_not_yet_valid_is_401(sk_client, keys):
    token = keys.token(["things:read"], now=time.time() + 3600)
    assert_unauthorized(sk_client.get("/things", headers=bearer(token)), "not valid yet")


def test_token_signed_by_another_key_is_401(sk_client):
    other = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = issue_token(other, subject="mallory", org="BHSCT", scopes=["things:read"])
    assert_unauthorized(sk_client.get("/things", headers=bearer(token)), "signature")


def test_tampered_payload_is_401(sk_client, keys):
    header, _payload, signature = keys.token(["things:read"]).split(".")
    forged = jwt.utils.base64url_encode(
        json.dumps(claims(scope="things:read things:write", org="SEHSCT")).encode()
    ).decode()
    response = sk_client.get("/things", headers=bearer(f"{header}.{forged}.{signature}"))
    assert_unauthorized(response, "signature")


@pytest.mark.parametrize("org", [None, "", 42, ["BHSCT"]])
def test_missing_or_bad_org_claim_is_401(sk_client, keys, org):
    token = sign(keys, org=org)  # None leaves the claim out
    assert_unauthorized(sk_client.get("/things", headers=bearer(token)), "'org'")


@pytest.mark.parametrize("missing", ["exp", "sub", "iss", "aud"])
def test_missing_required_claim_is_401(sk_client, keys, missing):
    token = sign(keys, **{missing: None})
    body = assert_unauthorized(sk_client.get("/things", headers=bearer(token)))
    assert body["detail"] == f"The bearer token lacks the required '{missing}' claim."


@pytest.mark.parametrize(
    ("claim", "value", "detail"),
    [
        ("iss", "someone-else", "The bearer token's issuer is not trusted."),
        ("aud", "another-audience", "The bearer token is meant for another audience."),
        ("iat", "yesterday", "The bearer token's issue time (iat) is not a valid time."),
    ],
)
def test_wrong_issuer_audience_or_iat_is_401_in_plain_words(sk_client, keys, claim, value, detail):
    body = assert_unauthorized(sk_client.get("/things", headers=bearer(sign(keys, **{claim: value}))))
    assert body["detail"] == detail


def test_unsigned_alg_none_token_is_401(sk_client):
    token = jwt.encode(claims(), key=None, algorithm="none")
    body = assert_unauthorized(sk_client.get("/things", headers=bearer(token)))
    assert body["detail"] == "The bearer token is signed with an algorithm that is not accepted."


def test_hs256_with_the_public_key_as_secret_is_401(sk_client, keys):
    """Algorithm confusion: only EdDSA is accepted with the local key."""
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = jwt.utils.base64url_encode(json.dumps(claims()).encode())
    signing_input = header + b"." + payload
    import hashlib
    import hmac

    signature = jwt.utils.base64url_encode(
        hmac.new(keys.public_path.read_bytes(), signing_input, hashlib.sha256).digest()
    )
    token = (signing_input + b"." + signature).decode()
    assert_unauthorized(sk_client.get("/things", headers=bearer(token)))


def test_problem_401_carries_the_request_id(sk_client):
    response = sk_client.get("/things", headers={"X-Request-ID": "a" * 32})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "a" * 32


# --- 403 and success ---------------------------------------------------------------------


def test_missing_scope_is_403_naming_the_scope(sk_client, keys):
    response = sk_client.post("/things", json={"name": "x", "size": 1}, headers=keys.headers("things:read"))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == problem_type("insufficient-scope")
    assert "things:write" in body["detail"]
    assert "things:read" not in body["detail"]
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="things:read things:write"' in challenge


def test_scope_of_another_service_is_403(sk_client, keys):
    response = sk_client.get("/things", headers=keys.headers("framework:read"))
    assert response.status_code == 403


def test_403_does_not_happen_before_401(sk_client):
    """Without a token the answer is 401, never 403."""
    assert sk_client.post("/things", json={"name": "x", "size": 1}).status_code == 401


def test_principal_carries_subject_org_scopes_and_name(sk_client, keys):
    token = issue_token(keys.private_pem, subject="hr-1", org="WHSCT", scopes=["b", "a", "a"], name="HR system")
    response = sk_client.get("/whoami", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"subject": "hr-1", "org": "WHSCT", "scopes": ["a", "b"], "name": "HR system"}


@pytest.mark.parametrize(
    "scope_claims",
    [
        {"scope": "things:read other"},
        {"scope": ["things:read", "other"]},
        {"scope": None, "scp": "things:read other"},
        {"scope": None, "scp": ["things:read", "other"]},
    ],
)
def test_scopes_from_scope_or_scp_as_string_or_list(sk_client, keys, scope_claims):
    response = sk_client.get("/whoami", headers=bearer(sign(keys, **scope_claims)))
    assert response.status_code == 200, response.text
    assert response.json()["scopes"] == ["other", "things:read"]
    assert sk_client.get("/things", headers=bearer(sign(keys, **scope_claims))).status_code == 200


def test_token_without_any_scope_is_authenticated_but_forbidden(sk_client, keys):
    token = sign(keys, scope=None)
    assert sk_client.get("/whoami", headers=bearer(token)).json()["scopes"] == []
    assert sk_client.get("/things", headers=bearer(token)).status_code == 403


def test_principal_has():
    principal = Principal(subject="s", org="o", scopes=frozenset({"a"}))
    assert principal.has("a")
    assert not principal.has("b")


# --- TokenVerifier construction ----------------------------------------------------------


def test_verifier_needs_a_key_or_a_jwks_url():
    with pytest.raises(ValueError, match="public key or a JWKS URL"):
        TokenVerifier(issuer="i", audience="a")


@pytest.mark.parametrize("kind", ["rsa-public", "ed25519-private", "garbage"])
def test_verifier_refuses_a_local_key_that_is_not_an_ed25519_public_key(keys, kind):
    pem = {
        "rsa-public": lambda: (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        ),
        "ed25519-private": lambda: keys.private_pem,
        "garbage": lambda: b"not a key",
    }[kind]()
    with pytest.raises(ValueError):
        TokenVerifier(issuer="i", audience="a", public_key_pem=pem)


def test_verifier_from_settings_reads_the_local_public_key(keys):
    settings = ServiceSettings(jwt_public_key_path=keys.public_path)
    verifier = TokenVerifier.from_settings(settings)
    principal = verifier.verify(keys.token(["x"], org="SHSCT"))
    assert principal.org == "SHSCT"
    assert principal.scopes == frozenset({"x"})


def test_verifier_from_settings_without_key_or_jwks_fails_clearly():
    settings = ServiceSettings(jwt_public_key_path=None)
    with pytest.raises(ValueError, match="public key or a JWKS URL"):
        TokenVerifier.from_settings(settings)


def test_verifier_honours_configured_issuer_and_audience(keys):
    verifier = TokenVerifier(
        issuer="https://idp.example", audience="framework-api", public_key_pem=keys.public_path.read_bytes()
    )
    good = issue_token(
        keys.private_pem, subject="s", org="o", scopes=[], issuer="https://idp.example", audience="framework-api"
    )
    assert verifier.verify(good).subject == "s"
    with pytest.raises(ProblemError) as refused:
        verifier.verify(keys.token([]))
    assert refused.value.status == 401


# --- JWKS --------------------------------------------------------------------------------


class _JwksServer:
    """A real HTTP server on a free local port serving a JWKS document that tests can swap."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks_server() -> Iterator[_JwksServer]:
    with _JwksServer() as server:
        yield server


@pytest.fixture
def jwks_app(sk_build_app, sk_database, keys, jwks_server, tmp_path):
    app = sk_build_app(sk_database, None, jwks_url=jwks_server.url)
    yield app
    app.state.engine.dispose()


def _ed25519_jwk(kid: str) -> tuple[bytes, dict[str, Any]]:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig"})
    return pem, jwk


def _rsa_jwk(kid: str) -> tuple[bytes, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return pem, jwk


def test_jwks_verifies_ed25519_tokens_by_kid(jwks_app, jwks_server):
    from fastapi.testclient import TestClient

    pem, jwk = _ed25519_jwk("key-1")
    _other_pem, other_jwk = _ed25519_jwk("key-2")
    jwks_server.document = {"keys": [other_jwk, jwk]}
    token = jwt.encode(claims(), pem, algorithm="EdDSA", headers={"kid": "key-1"})
    with TestClient(jwks_app, raise_server_exceptions=False) as client:
        assert client.get("/things", headers=bearer(token)).status_code == 200
        # Signed by key-1's private key but claiming key-2: the signature does not verify.
        forged = jwt.encode(claims(), pem, algorithm="EdDSA", headers={"kid": "key-2"})
        assert_unauthorized(client.get("/things", headers=bearer(forged)), "signature")
    assert jwks_server.hits >= 1


def test_jwks_verifies_rs256_tokens_of_an_oidc_provider(jwks_app, jwks_server):
    from fastapi.testclient import TestClient

    pem, jwk = _rsa_jwk("rsa-1")
    jwks_server.document = {"keys": [jwk]}
    token = jwt.encode(claims(scp="things:read"), pem, algorithm="RS256", headers={"kid": "rsa-1"})
    with TestClient(jwks_app, raise_server_exceptions=False) as client:
        response = client.get("/whoami", headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.json()["scopes"] == ["things:read"]


def test_jwks_unknown_kid_is_401(jwks_app, jwks_server):
    from fastapi.testclient import TestClient

    pem, jwk = _ed25519_jwk("known")
    jwks_server.document = {"keys": [jwk]}
    token = jwt.encode(claims(), pem, algorithm="EdDSA", headers={"kid": "unknown"})
    with TestClient(jwks_app, raise_server_exceptions=False) as client:
        assert_unauthorized(client.get("/things", headers=bearer(token)), "signing key")


def test_jwks_refuses_a_symmetric_key_and_hs256(jwks_app, jwks_server):
    from fastapi.testclient import TestClient

    secret = b"s" * 32
    jwks_server.document = {"keys": [{"kty": "oct", "kid": "hmac", "k": jwt.utils.base64url_encode(secret).decode()}]}
    token = jwt.encode(claims(), secret, algorithm="HS256", headers={"kid": "hmac"})
    with TestClient(jwks_app, raise_server_exceptions=False) as client:
        assert_unauthorized(client.get("/things", headers=bearer(token)))


def test_jwks_alg_mismatch_with_the_key_is_401(jwks_app, jwks_server):
    """An RSA key published for RS256 does not verify a PS256 token claiming it."""
    from fastapi.testclient import TestClient

    pem, jwk = _rsa_jwk("rsa-2")
    jwks_server.document = {"keys": [jwk]}
    token = jwt.encode(claims(), pem, algorithm="PS256", headers={"kid": "rsa-2"})
    with TestClient(jwks_app, raise_server_exceptions=False) as client:
        assert_unauthorized(client.get("/things", headers=bearer(token)))


def test_jwks_unreachable_is_503_not_401(keys):
    verifier = TokenVerifier(issuer="collective-local", audience="collective", jwks_url="http://127.0.0.1:9/jwks")
    pem, _jwk = _ed25519_jwk("k")
    token = jwt.encode(claims(), pem, algorithm="EdDSA", headers={"kid": "k"})
    with pytest.raises(ProblemError) as refused:
        verifier.verify(token)
    assert refused.value.status == 503
    assert refused.value.headers["Retry-After"]


def test_jwks_verifier_via_monkeypatched_client(monkeypatch, keys):
    """The JWKS path also works when PyJWKClient is replaced (no network at all)."""
    jwk = OKPAlgorithm.to_jwk(serialization.load_pem_public_key(keys.public_path.read_bytes()), as_dict=True)
    jwk["kid"] = "local"
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", lambda self: {"keys": [jwk]})
    verifier = TokenVerifier(issuer="collective-local", audience="collective", jwks_url="https://idp.invalid/jwks")
    token = jwt.encode(claims(org="NHSCT"), keys.private_pem, algorithm="EdDSA", headers={"kid": "local"})
    assert verifier.verify(token).org == "NHSCT"


# --- verified tokens are remembered until they expire ---------------------------------------


class CountingVerifier:
    """Wraps a verifier and counts the signature checks it does."""

    def __init__(self, inner: TokenVerifier) -> None:
        self.inner = inner
        self.calls = 0

    def verify(self, token: str) -> Principal:
        self.calls += 1
        return self.inner.verify(token)


@pytest.fixture
def counting(sk_app, keys) -> Iterator[CountingVerifier]:
    original = sk_app.state.verifier
    sk_app.state.verifier = CountingVerifier(
        TokenVerifier(issuer="collective-local", audience="collective", public_key_pem=keys.public_path.read_bytes())
    )
    yield sk_app.state.verifier
    sk_app.state.verifier = original


def test_a_token_is_verified_once_and_then_remembered(sk_client, keys, counting):
    token = keys.token(["things:read"])
    for _ in range(5):
        assert sk_client.get("/things", headers=bearer(token)).status_code == 200
    assert counting.calls == 1
    other = keys.token(["things:read"], subject="someone-else")
    assert sk_client.get("/things", headers=bearer(other)).status_code == 200
    assert counting.calls == 2


def test_a_remembered_token_is_refused_once_it_expires(keys, monkeypatch):
    verifier = TokenVerifier(
        issuer="collective-local", audience="collective", public_key_pem=keys.public_path.read_bytes()
    )
    remembered = VerifiedTokens(verifier, leeway_seconds=30)
    token = keys.token(["things:read"], ttl_seconds=60)
    remembered.put(token, verifier.verify(token))
    assert remembered.get(token) is not None
    later = time.time() + 60 + 31
    monkeypatch.setattr("servicekit.auth.time.time", lambda: later)
    assert remembered.get(token) is None


def test_remembered_tokens_are_bounded_least_recently_used_first(keys):
    verifier = TokenVerifier(
        issuer="collective-local", audience="collective", public_key_pem=keys.public_path.read_bytes()
    )
    remembered = VerifiedTokens(verifier, size=2)
    first, second, third = (keys.token(["x"], subject=f"s{n}") for n in range(3))
    for token in (first, second):
        remembered.put(token, verifier.verify(token))
    assert remembered.get(first) is not None  # first is now the most recently used
    remembered.put(third, verifier.verify(third))
    assert remembered.get(second) is None
    assert remembered.get(first) is not None and remembered.get(third) is not None


def test_a_new_verifier_trusts_no_token_the_old_one_remembered(sk_app, sk_client, keys):
    token = keys.token(["things:read"])
    assert sk_client.get("/things", headers=bearer(token)).status_code == 200
    original = sk_app.state.verifier
    other_key = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    sk_app.state.verifier = TokenVerifier(issuer="collective-local", audience="collective", public_key_pem=other_key)
    try:
        assert_unauthorized(sk_client.get("/things", headers=bearer(token)), "signature")
    finally:
        sk_app.state.verifier = original

"""A database that goes away is a 503 on every endpoint of every service, and everything recovers by
itself when it comes back.

Each service reaches PostgreSQL through a TCP proxy the test controls (tests/tcp_proxy.py). Stopping
it cuts every open connection and refuses new ones, as a database host that went away. Every
operation in each service's OpenAPI document is then called with a token holding every scope: it
must answer within the service's wait (never a hang), and with 503 `service-unavailable` and
`Retry-After` wherever it needed the database (a 4xx it could decide without the database, such as a
malformed body, is fine; a 500 never is). The web is taken through the same outage on its own
database in tests/web/test_web_database_outage.py.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from framework_api.config import Settings as FrameworkSettings
from framework_api.main import create_app as create_framework_app
from recruitment_api.config import Settings as RecruitmentSettings
from recruitment_api.main import create_app as create_recruitment_app
from support import ON_POSTGRES, fresh_database
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="an outage needs the database over the network (PostgreSQL)")

WAIT_SECONDS = 2.0
# Never a hang: every answer comes within the service's own waits. The margin is for a busy
# machine (the suite runs in parallel on small CI machines); a hang is a wait without a limit, or
# SQLAlchemy's own 30 s pool timeout, both well beyond it.
NO_HANG_SECONDS = WAIT_SECONDS * 3 + 15
SCOPES = {
    "framework": ["framework:read", "framework:write"],
    "recruitment": ["recruitment:read", "recruitment:score", "recruitment:admin", "equality:read", "equality:write"],
}
NO_DATABASE = {"/livez", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture(scope="module", params=["framework", "recruitment"])
def service(request, tmp_path_factory, keys):
    """(name, app, proxy): the service on a fresh database, migrated, reached through the proxy."""
    name = request.param
    with fresh_database(tmp_path_factory.mktemp(f"outage-{name}"), f"outage_{name}") as url:
        target = make_url(url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        proxy.start()
        common = {
            "database_url": through(url, proxy),
            "jwt_public_key_path": keys.public_path,
            "log_level": "ERROR",
            "db_wait_seconds": WAIT_SECONDS,
        }
        if name == "framework":
            app = create_framework_app(FrameworkSettings(**common))
        else:
            app = create_recruitment_app(RecruitmentSettings(**common))
        try:
            yield name, app, proxy
        finally:
            proxy.stop()
            app.state.engine.dispose()


def operations(app) -> list[tuple[str, str]]:
    """Every operation of the app's OpenAPI document, with each path parameter a UUID nobody has."""
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path))
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def call(client: TestClient, method: str, path: str, headers: dict[str, str]):
    started = time.monotonic()
    response = client.request(method, path, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None)
    return response, time.monotonic() - started


def test_every_endpoint_is_503_while_the_database_is_away_and_recovers_by_itself(service, keys):
    name, app, proxy = service
    headers = keys.headers(*SCOPES[name])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/readyz").status_code == 200
        listing = "/frameworks" if name == "framework" else "/vacancies"
        assert client.get(listing, headers=headers).status_code == 200  # the pool now holds a live connection

        proxy.stop()
        try:
            readiness = client.get("/readyz")
            assert readiness.status_code == 503
            unavailable = 0
            for method, path in operations(app):
                response, took = call(client, method, path, headers)
                where = f"{method} {path}: {response.status_code} {response.text[:200]}"
                assert took < NO_HANG_SECONDS, f"{where} took {took:.1f} s"
                assert response.status_code != 500, where
                if response.status_code == 503:
                    assert response.headers["content-type"].startswith("application/problem+json"), where
                    assert response.json()["type"].endswith("/service-unavailable"), where
                    assert int(response.headers["retry-after"]) > 0, where
                    unavailable += 1
                else:
                    # Only what needs no database may answer otherwise: a body refused before any
                    # query, or an operation that never reads the database.
                    assert response.status_code in (400, 413, 415, 422) or path in NO_DATABASE, where
            assert unavailable > 10
        finally:
            proxy.start()

        # Back: the pool replaces the connections that were cut, with no restart.
        assert client.get("/readyz").status_code == 200
        assert client.get(listing, headers=headers).status_code == 200


def test_a_request_waiting_for_a_connection_is_told_to_come_back_not_kept_waiting(service, keys):
    """Every connection is taken by requests that hold it: the next request waits the configured
    wait and no longer, then gets 503 with Retry-After."""
    import anyio

    from servicekit.db import database_of

    name, app, _ = service
    database = database_of(app)
    with TestClient(app, raise_server_exceptions=False) as client:

        async def hold_every_slot() -> None:
            semaphore = database._semaphore()
            for _ in range(database.slots):
                await semaphore.acquire()

        async def release_every_slot() -> None:
            semaphore = database._semaphore()
            for _ in range(database.slots):
                semaphore.release()

        client.portal.call(hold_every_slot)
        try:
            started = time.monotonic()
            response = client.get(
                "/frameworks" if name == "framework" else "/vacancies", headers=keys.headers(*SCOPES[name])
            )
            took = time.monotonic() - started
        finally:
            client.portal.call(release_every_slot)
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert WAIT_SECONDS - 0.5 <= took < WAIT_SECONDS + 15  # the wait, and no more but for a busy machine
        assert anyio  # imported for the portal's backend

"""monitoring-api when its database goes away: every operation is a 503 with Retry-After (never a 500
or a hang), the bulk ingest included, and everything recovers by itself when the database is back.
As tests/contract/test_database_outage.py does for the other services, through a TCP proxy."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from monitoring_support import csv_of
from sqlalchemy.engine import make_url
from sqlmodel import Session

from monitoring_api.config import Settings
from monitoring_api.main import create_app
from monitoring_api.seed.loader import seed
from support import ON_POSTGRES, fresh_database
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="an outage needs the database over the network (PostgreSQL)")

WAIT_SECONDS = 2.0
# Never a hang: every answer comes within the service's own waits. The margin is for a busy
# machine (the suite runs in parallel on small CI machines); a hang is a wait without a limit, or
# SQLAlchemy's own 30 s pool timeout, both well beyond it.
NO_HANG_SECONDS = WAIT_SECONDS * 3 + 15
SCOPES = ("monitoring:read", "monitoring:write", "monitoring:admin", "monitoring:regional", "survey:ingest")
NO_DATABASE = {"/livez", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/spc"}


@pytest.fixture(scope="module")
def outage(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("outage-monitoring"), "outage_monitoring") as url:
        target = make_url(url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        proxy.start()
        through = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = create_app(
            Settings(
                database_url=through,
                jwt_public_key_path=keys.public_path,
                log_level="ERROR",
                db_wait_seconds=WAIT_SECONDS,
            )
        )
        with Session(app.state.engine) as session:
            seed(session)
        try:
            yield app, proxy
        finally:
            proxy.stop()
            app.state.engine.dispose()


def test_every_operation_is_503_while_the_database_is_away_and_recovers_by_itself(outage, keys):
    app, proxy = outage
    headers = keys.headers(*SCOPES, org="BHSCT")
    operations = [
        (method.upper(), re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path))
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    ingest = csv_of([("X", "Y", "2024-01-01", 1, 2)])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/units", headers=headers).status_code == 200
        proxy.stop()
        try:
            assert client.get("/readyz").status_code == 503
            unavailable = 0
            for method, path in operations:
                started = time.monotonic()
                if path in ("/values/import", "/units/import"):
                    response = client.post(path, content=ingest, headers={**headers, "Content-Type": "text/csv"})
                else:
                    body = {} if method in ("POST", "PUT", "PATCH") else None
                    response = client.request(method, path, headers=headers, json=body)
                took = time.monotonic() - started
                where = f"{method} {path}: {response.status_code} {response.text[:200]}"
                assert took < NO_HANG_SECONDS, f"{where} took {took:.1f} s"
                assert response.status_code != 500, where
                if response.status_code == 503:
                    assert response.json()["type"].endswith("/service-unavailable"), where
                    assert int(response.headers["retry-after"]) > 0, where
                    unavailable += 1
                else:
                    assert response.status_code in (400, 413, 415, 422) or path in NO_DATABASE, where
            assert unavailable > 20
            refused = client.post("/values/import", content=ingest, headers={**headers, "Content-Type": "text/csv"})
            assert refused.status_code == 503
        finally:
            proxy.start()
        assert client.get("/readyz").status_code == 200
        assert client.get("/units", headers=headers).status_code == 200

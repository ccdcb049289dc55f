"""Body limits: 413 before a large body is read, with the bulk imports' own larger limit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from monitoring_support import csv_of, headers

from monitoring_api.config import Settings
from monitoring_api.main import create_app


@pytest.fixture(scope="module")
def small(tmp_path_factory, keys):
    folder = tmp_path_factory.mktemp("limits")
    app = create_app(
        Settings(
            database_url=f"sqlite:///{folder / 'limits.db'}",
            jwt_public_key_path=keys.public_path,
            log_level="ERROR",
            max_body_bytes=2_000,
            max_import_bytes=20_000,
        )
    )
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


def test_ordinary_requests_have_the_small_limit(small, keys):
    body = {"points": [{"date": f"2024-01-{d:02d}", "value": d} for d in range(1, 29)] * 3}
    response = small.post("/spc", json=body, headers=headers(keys))
    assert response.status_code == 413, response.text
    assert response.json()["type"].endswith("/content-too-large")


def test_imports_have_their_own_limit(small, keys):
    rows = [("X", "Y", "2024-01-01", n, 10) for n in range(300)]  # about 7 kB: over 2,000, under 20,000
    within = small.post("/values/import", content=csv_of(rows), headers={**headers(keys), "Content-Type": "text/csv"})
    assert within.status_code == 422  # read and checked: unknown indicator and unit, row by row
    rows = [("X", "Y", "2024-01-01", n, 10) for n in range(2_000)]
    over = small.post("/values/import", content=csv_of(rows), headers={**headers(keys), "Content-Type": "text/csv"})
    assert over.status_code == 413 and over.json()["type"].endswith("/content-too-large")

"""GET /overview: My organisation in one read. Each part is what its own endpoint answers for the
token's organisation (the plan items, the summary at the organisation, the first cell of the latest
closed whole-organisation wave's results); another organisation's data is never in it."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from monitoring_support import READ, REGIONAL
from sqlmodel import Session

from monitoring_api.config import Settings
from monitoring_api.main import create_app
from monitoring_api.seed.demo import seed_demo
from support import fresh_database

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("overview"), "monitoring_overview") as url:
        app = create_app(Settings(database_url=url, jwt_public_key_path=keys.public_path, log_level="WARNING"))
        with Session(app.state.engine) as session:
            seed_demo(session, today=TODAY)
        with TestClient(app) as client:
            yield client
        app.state.engine.dispose()


def _get(client, keys, path, org="BSO", scopes=(READ,), **params):
    response = client.get(path, params=params, headers=keys.headers(*scopes, org=org))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_overview_is_what_each_endpoint_answers_for_the_organisation(demo, keys):
    found = _get(demo, keys, "/overview")
    organisation = next(o for o in _get(demo, keys, "/organisations")["items"] if o["code"] == "BSO")
    assert found["unit"]["id"] == organisation["id"] and found["unit"]["code"] == "BSO"

    # The page's own call was the plan items of its organisation (`org` is the token's here as well).
    assert found["plan_items"] == _get(demo, keys, "/plan/items", limit=500)["items"]
    assert found["plan_items"] and found["plan_complete"] is True
    assert all(i["unit"]["path"].startswith("/BSO/") for i in found["plan_items"])

    rows = _get(demo, keys, "/summary", unit=organisation["id"], limit=1000)["items"]
    assert found["summary"] == rows and rows and found["summary_complete"] is True
    assert found["summary"] == _get(demo, keys, "/summary", level=1, limit=1000)["items"]

    waves = [w for w in _get(demo, keys, "/survey-waves", limit=500)["items"] if w["status"] == "closed"]
    whole = sorted((w for w in waves if w["root"]["code"] == "BSO"), key=lambda w: (w["opens"], w["created_at"]))
    culture = found["culture"]
    assert culture["wave"] == whole[-1] and culture["others"] is True
    results = _get(demo, keys, f"/survey-waves/{whole[-1]['id']}/results")
    assert culture["cell"] == results["cells"][0]


def test_another_organisation_sees_only_its_own(demo, keys):
    found = _get(demo, keys, "/overview", org="NHSCT")
    assert found["unit"]["code"] == "NHSCT"
    assert found["plan_items"] == _get(demo, keys, "/plan/items", org="NHSCT", limit=500)["items"]
    assert found["plan_items"], "the demo has NHSCT plan items"
    assert all(i["unit"]["path"].startswith("/NHSCT/") for i in found["plan_items"])
    assert found["summary"] and all(r["unit"]["code"] == "NHSCT" for r in found["summary"])
    # No wave of NHSCT has closed: no headline, and BSO's waves are not offered instead.
    assert found["culture"] == {"wave": None, "cell": None, "others": False}


def test_a_regional_token_sees_its_own_organisation_only(demo, keys):
    """monitoring:regional reads every organisation elsewhere; the overview stays the token's own."""
    found = _get(demo, keys, "/overview", org="BSO", scopes=(READ, REGIONAL))
    assert found["unit"]["code"] == "BSO"
    assert all(i["unit"]["path"].startswith("/BSO/") for i in found["plan_items"])
    assert all(r["unit"]["code"] == "BSO" for r in found["summary"])
    assert found == _get(demo, keys, "/overview", org="BSO")


def test_refusals(demo, keys):
    assert demo.get("/overview").status_code == 401
    refused = demo.get("/overview", headers=keys.headers("recruitment:read", org="BSO"))
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    # An organisation the structure does not hold: 404, a problem document.
    missing = demo.get("/overview", headers=keys.headers(READ, org="NOWHERE"))
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")

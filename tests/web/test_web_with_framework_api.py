"""The web against the real framework-api, in process (httpx.ASGITransport via `transports`):
proves the web's client reads the shapes framework-api really sends."""

from __future__ import annotations

from contextlib import ExitStack

import httpx
import pytest
from fastapi.testclient import TestClient
from framework_support import with_etag
from sqlmodel import Session

from framework_api.config import Settings as FrameworkSettings
from framework_api.main import create_app as create_framework_app
from framework_api.seed.loader import seed
from servicekit.auth import Principal
from support import fresh_database
from web.accounts import service
from web.main import create_app

FRAMEWORK_URL = "http://framework-api.internal"


@pytest.fixture(scope="module")
def framework_api(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("fw"), "webfw") as url:
        app = create_framework_app(
            FrameworkSettings(
                database_url=url,
                jwt_public_key_path=keys.public_path,
                environment="test",
                log_level="WARNING",
                public_base_url=FRAMEWORK_URL,
            )
        )
        with Session(app.state.engine) as session:
            seed(session)
        with TestClient(app) as api:
            bso = keys.headers("framework:read", "framework:write", org="BSO")
            framework = api.get("/frameworks", headers=bso).json()["items"][0]
            published = framework["latest_published"]
            draft = api.post(f"/frameworks/{framework['id']}/versions", json={"version": "1.1.0"}, headers=bso).json()
            item = api.get(f"/versions/{draft['id']}/items", params={"q": "Steps up to lead"}, headers=bso).json()[
                "items"
            ][0]
            reworded = api.patch(
                f"/versions/{draft['id']}/items/{item['identifier']}",
                json={"statement": "Steps up to lead wherever their expertise is needed"},
                headers=with_etag(api, draft["id"], bso),
            )
            assert reworded.status_code == 200, reworded.text
        yield {"app": app, "framework": framework, "published": published, "draft": draft}
        app.state.engine.dispose()


@pytest.fixture
def web(settings, framework_api):
    settings = settings.model_copy(update={"framework_api_url": FRAMEWORK_URL})
    app = create_app(settings, transports={FRAMEWORK_URL: httpx.ASGITransport(app=framework_api["app"])})
    yield app
    app.state.engine.dispose()


@pytest.fixture
def signed_in_as(web, login):
    """A browser signed in as a new manager of `org` (framework:read)."""
    with ExitStack() as stack:

        def open_as(username: str, org: str) -> TestClient:
            with Session(web.state.engine, expire_on_commit=False) as session:
                service.create_user(
                    session,
                    Principal(subject="test", org=org, scopes=frozenset()),
                    org,
                    service.NewUser(
                        username=username,
                        display_name=username.title(),
                        roles=["manager"],
                        password="a-long-enough-password",
                    ),
                )
            client = stack.enter_context(TestClient(web, follow_redirects=False))
            assert login(client, username, "a-long-enough-password").status_code == 303
            return client

        yield open_as


def test_browsing_the_seeded_framework(signed_in_as, framework_api):
    client = signed_in_as("reader", "BSO")
    published = framework_api["published"]["id"]
    framework = framework_api["framework"]["id"]

    listing = client.get("/frameworks")
    assert listing.status_code == 200 and "HSC Collective Leadership Framework" in listing.text
    assert "Version 1.1.0" in listing.text  # BSO's own draft

    assert client.get(f"/frameworks/{framework}").status_code == 200

    version = client.get(f"/versions/{published}")
    assert version.status_code == 200
    assert "Compassionate leadership" in version.text and "<details" in version.text

    fragment = client.get(f"/versions/{published}/search?q=compassion", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "match “compassion”" in fragment.text

    capability = client.get(f"/versions/{published}/search?q=C4.TL.1", headers={"HX-Request": "true"})
    link = capability.text.split('href="')[1].split('"')[0]
    item = client.get(link)
    assert item.status_code == 200
    assert "Expected standard" in item.text and "Exemplary" in item.text

    assert client.get(f"/versions/{published}/download.json").json()["CFDocument"]
    csv = client.get(f"/versions/{published}/download.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]


def test_comparing_the_draft_with_the_published_version(signed_in_as, framework_api):
    client = signed_in_as("reader", "BSO")
    draft, published = framework_api["draft"]["id"], framework_api["published"]["id"]
    page = client.get(f"/versions/{draft}/compare", params={"from": published})
    assert page.status_code == 200, page.text
    assert "Changes from version 1.0.0 to version 1.1.0" in page.text
    assert "Reworded" in page.text and "Steps up to lead wherever their expertise is needed" in page.text


def test_another_organisation_does_not_see_the_draft(signed_in_as, framework_api):
    client = signed_in_as("outsider", "WHSCT")
    assert client.get(f"/versions/{framework_api['draft']['id']}").status_code == 404
    assert client.get(f"/versions/{framework_api['published']['id']}").status_code == 200

"""Fixtures of the monitoring pages' tests (plan, regional view, admin): the real monitoring-api in
process (seeded with the organisations and the strategy's actions by its own loader), the web
composing it and framework-api, browsers signed in with the roles a test needs, and small
factories that set data up through monitoring-api itself.

A test module of tests/web imports the fixtures it uses from here (`from monitoring_web_support
import ...`); `settings`, `keys` and `framework_api` are tests/web's own fixtures."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from web_framework_support import ServiceTransport

from servicekit.auth import Principal
from support import Keys, fresh_database
from web.accounts import service
from web.config import Settings
from web.main import create_app

MONITORING_URL = "http://monitoring-api.internal"
FRAMEWORK_URL = "http://framework.test"  # where tests/web's settings put framework-api
PASSWORD = "a-long-enough-password"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
READ, WRITE, ADMIN, REGIONAL = "monitoring:read", "monitoring:write", "monitoring:admin", "monitoring:regional"


@dataclass
class MonitoringService:
    """The real monitoring-api app, and a client of it that sets data up with tokens of our own."""

    app: Any
    api: TestClient
    keys: Keys

    def headers(self, *scopes: str, org: str, subject: str = "setup") -> dict[str, str]:
        return self.keys.headers(*scopes, org=org, subject=subject)

    def adopt(self, org: str, action: str, **fields: Any) -> dict[str, Any]:
        """Adopt a strategy action into the organisation's plan."""
        response = self.api.post(
            "/plan/items", json={"action": action, **fields}, headers=self.headers(READ, ADMIN, org=org)
        )
        assert response.status_code == 201, response.text
        return response.json()

    def local(self, org: str, title: str, **fields: Any) -> dict[str, Any]:
        response = self.api.post(
            "/plan/items", json={"title": title, **fields}, headers=self.headers(READ, ADMIN, org=org)
        )
        assert response.status_code == 201, response.text
        return response.json()

    def check_in(self, org: str, item_id: str, status: str, *, subject: str = "setup", **fields: Any) -> dict[str, Any]:
        body = {"status": status, "confidence": 5, "what_happened": f"Set to {status}", **fields}
        response = self.api.post(
            f"/plan/items/{item_id}/check-ins", json=body, headers=self.headers(READ, WRITE, org=org, subject=subject)
        )
        assert response.status_code == 201, response.text
        return response.json()

    def item(self, org: str, item_id: str) -> dict[str, Any]:
        response = self.api.get(f"/plan/items/{item_id}", headers=self.headers(READ, org=org))
        assert response.status_code == 200, response.text
        return response.json()

    def check_ins(self, org: str, item_id: str) -> list[dict[str, Any]]:
        response = self.api.get(f"/plan/items/{item_id}/check-ins", headers=self.headers(READ, org=org))
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def indicator(self, org: str, code: str, **fields: Any) -> dict[str, Any]:
        body = {
            "code": code,
            "title": f"Indicator {code}",
            "unit_of_measure": "%",
            "numerator": "Staff who agree",
            "denominator": "Staff who answered",
            "factor": "percent",
            "direction": "increase",
            "frequency": "monthly",
            **fields,
        }
        response = self.api.post("/indicators", json=body, headers=self.headers(READ, ADMIN, org=org))
        assert response.status_code == 201, response.text
        return response.json()

    def read_indicator(self, org: str, indicator_id: str) -> dict[str, Any]:
        response = self.api.get(f"/indicators/{indicator_id}", headers=self.headers(READ, org=org))
        assert response.status_code == 200, response.text
        return response.json()

    def organisation(self, org: str) -> dict[str, Any]:
        response = self.api.get("/organisations", headers=self.headers(READ, org=org))
        assert response.status_code == 200, response.text
        return next(unit for unit in response.json()["items"] if unit["code"] == org)

    def units(self, org: str) -> list[dict[str, Any]]:
        response = self.api.get("/units", params={"limit": 500}, headers=self.headers(READ, org=org))
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def chart(self, org: str, indicator_id: str, unit_id: str) -> dict[str, Any]:
        response = self.api.get(
            f"/indicators/{indicator_id}/units/{unit_id}/chart", headers=self.headers(READ, org=org)
        )
        assert response.status_code == 200, response.text
        return response.json()

    def series(self, org: str, indicator_id: str, unit_id: str) -> list[dict[str, Any]]:
        response = self.api.get(
            f"/indicators/{indicator_id}/units/{unit_id}/values", headers=self.headers(READ, org=org)
        )
        assert response.status_code == 200, response.text
        return list(response.json()["values"])


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no form with a csrf_token"
    return match.group(1)


def add_user(application: Any, username: str, *, org: str, roles: tuple[str, ...]) -> Any:
    with Session(application.state.engine, expire_on_commit=False) as session:
        user, _ = service.create_user(
            session,
            Principal(subject="test", org=org, scopes=frozenset()),
            org,
            service.NewUser(username=username, display_name=username.title(), roles=list(roles), password=PASSWORD),
        )
        return user


def sign_in(browser: TestClient, username: str) -> httpx.Response:
    page = browser.get("/sign-in")
    data = {"username": username, "password": PASSWORD, "next": "/", "csrf_token": csrf_from(page.text)}
    return browser.post("/sign-in", data=data)


@pytest.fixture(scope="module")
def monitoring_service(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[MonitoringService]:
    """monitoring-api in process for one test module, seeded by its own loader."""
    from monitoring_api.config import Settings as MonitoringSettings
    from monitoring_api.main import create_app as create_monitoring_app
    from monitoring_api.seed.loader import seed

    with fresh_database(tmp_path_factory.mktemp("monitoring"), "webmon") as url:
        app = create_monitoring_app(
            MonitoringSettings(
                database_url=url,
                jwt_public_key_path=keys.public_path,
                environment="test",
                log_level="WARNING",
                public_base_url=MONITORING_URL,
            )
        )
        with Session(app.state.engine) as session:
            seed(session)
        with TestClient(app) as api:
            yield MonitoringService(app, api, keys)
        app.state.engine.dispose()


@pytest.fixture
def monitoring_api(monitoring_service: MonitoringService) -> ServiceTransport:
    """monitoring-api as the web reaches it (a fresh transport per test: `failure` takes it down)."""
    return ServiceTransport(monitoring_service.app)


@pytest.fixture
def monitoring_web(
    settings: Settings, monitoring_api: ServiceTransport, framework_api: ServiceTransport
) -> Iterator[Any]:
    """The web composing the in-process monitoring-api and framework-api (tests/web's `framework_api`:
    its `failure` takes framework-api down)."""
    settings = settings.model_copy(update={"monitoring_api_url": MONITORING_URL})
    application = create_app(settings, transports={MONITORING_URL: monitoring_api, FRAMEWORK_URL: framework_api})
    yield application
    application.state.engine.dispose()


class Browser(TestClient):
    user: Any

    def form_post(self, url: str, data: dict[str, Any], *, page: str | None = None, **kwargs: Any) -> httpx.Response:
        """POST a form with the CSRF token of `page` (the form's own page when not given)."""
        token = csrf_from(self.get(page or url).text)
        return self.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def browser(monitoring_web: Any) -> Iterator[Callable[..., Browser]]:
    """A browser on the monitoring web, signed in as a new user of `org` with `roles`."""
    opened: list[Browser] = []

    def open_as(username: str | None = None, *, org: str = "BHSCT", roles: tuple[str, ...] = ("manager",)) -> Browser:
        username = username or f"user-{uuid.uuid4().hex[:8]}"
        user = add_user(monitoring_web, username, org=org, roles=roles)
        test_client = Browser(monitoring_web, follow_redirects=False)
        test_client.__enter__()
        opened.append(test_client)
        response = sign_in(test_client, username)
        assert response.status_code == 303, response.text
        test_client.user = user
        return test_client

    yield open_as
    for test_client in opened:
        test_client.__exit__(None, None, None)


def unique_org(*taken: str) -> str:
    """An organisation no other test of the module has used (the service lives for the module)."""
    orgs = ["BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT", "NIAS", "PHA", "BSO", "NIMDTA", "RQIA", "NIPEC", "NISCC"]
    return next(org for org in orgs if org not in taken)

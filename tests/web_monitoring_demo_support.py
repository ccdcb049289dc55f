"""Fixtures of the My organisation and indicator pages' tests: the real monitoring-api in process
with its demo data (`seed_demo`: BSO and the trusts, twelve indicators with three years of values,
plans with check-ins), the real recruitment-api and framework-api (conftest's
`recruitment_services`), the web composing them, and browsers signed in with the roles a test needs.

A test module imports the fixtures it uses from here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
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

MONITORING_URL = "http://monitoring-demo.internal"
RECRUITMENT_URL = "http://recruitment-demo.internal"
FRAMEWORK_API_URL = "http://framework-demo.internal"
PASSWORD = "a-long-enough-password"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
READ, WRITE, ADMIN = "monitoring:read", "monitoring:write", "monitoring:admin"
DEMO_DAY = date(2026, 10, 15)  # the demo's plan dates are relative to the day it is seeded


def add_user(application: Any, username: str, *, org: str, roles: tuple[str, ...]) -> Any:
    with Session(application.state.engine, expire_on_commit=False) as session:
        user, _ = service.create_user(
            session,
            Principal(subject="test", org=org, scopes=frozenset()),
            org,
            service.NewUser(username=username, display_name=username.title(), roles=list(roles), password=PASSWORD),
        )
        return user


def sign_in(browser: TestClient, username: str, next_url: str = "/") -> httpx.Response:
    page = browser.get("/sign-in")
    match = CSRF_INPUT.search(page.text)
    assert match, "the sign-in page has no csrf_token"
    return browser.post(
        "/sign-in", data={"username": username, "password": PASSWORD, "next": next_url, "csrf_token": match.group(1)}
    )


@dataclass
class DemoMonitoring:
    app: Any
    api: TestClient
    keys: Keys

    def headers(self, *scopes: str, org: str = "BSO", subject: str = "setup") -> dict[str, str]:
        return self.keys.headers(*(scopes or (READ,)), org=org, subject=subject)

    def get(self, path: str, *, org: str = "BSO", **params: Any) -> Any:
        response = self.api.get(path, params=params, headers=self.headers(org=org))
        assert response.status_code == 200, response.text
        return response.json()

    def organisation(self, org: str = "BSO") -> dict[str, Any]:
        return next(u for u in self.get("/organisations", org=org)["items"] if u["code"] == org)

    def indicator(self, code: str, org: str = "BSO") -> dict[str, Any]:
        found = self.get("/indicators", org=org, limit=500)["items"]
        return next(i for i in found if i["code"] == code)


@pytest.fixture(scope="module")
def demo_monitoring(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[DemoMonitoring]:
    """monitoring-api in process for one test module, with its demo data."""
    from monitoring_api.config import Settings as MonitoringSettings
    from monitoring_api.main import create_app as create_monitoring_app
    from monitoring_api.seed.demo import seed_demo

    with fresh_database(tmp_path_factory.mktemp("mondemo"), "webmondemo") as url:
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
            seed_demo(session, today=DEMO_DAY)
        with TestClient(app) as api:
            yield DemoMonitoring(app, api, keys)
        app.state.engine.dispose()


@pytest.fixture
def monitoring_transport(demo_monitoring: DemoMonitoring) -> ServiceTransport:
    """monitoring-api as the web reaches it (a fresh transport per test: `failure` takes it down)."""
    return ServiceTransport(demo_monitoring.app)


@pytest.fixture
def recruitment_transport(recruitment_services: dict[str, Any]) -> ServiceTransport:
    return ServiceTransport(recruitment_services["recruitment"])


@pytest.fixture
def demo_web(
    settings: Settings,
    monitoring_transport: ServiceTransport,
    recruitment_transport: ServiceTransport,
    recruitment_services: dict[str, Any],
) -> Iterator[Any]:
    """The web composing monitoring-api, recruitment-api and framework-api, all in process."""
    settings = settings.model_copy(
        update={
            "monitoring_api_url": MONITORING_URL,
            "recruitment_api_url": RECRUITMENT_URL,
            "framework_api_url": FRAMEWORK_API_URL,
        }
    )
    application = create_app(
        settings,
        transports={
            MONITORING_URL: monitoring_transport,
            RECRUITMENT_URL: recruitment_transport,
            FRAMEWORK_API_URL: ServiceTransport(recruitment_services["framework"]),
        },
    )
    yield application
    application.state.engine.dispose()


@pytest.fixture
def open_as(demo_web: Any) -> Iterator[Callable[..., TestClient]]:
    """A browser on the web, signed in as a new user of `org` with `roles`."""
    opened: list[TestClient] = []

    def open_(org: str = "BSO", roles: tuple[str, ...] = ("manager",)) -> TestClient:
        username = f"user-{uuid.uuid4().hex[:8]}"
        add_user(demo_web, username, org=org, roles=roles)
        browser = TestClient(demo_web, follow_redirects=False)
        browser.__enter__()
        opened.append(browser)
        response = sign_in(browser, username)
        assert response.status_code == 303, response.text
        return browser

    yield open_
    for browser in opened:
        browser.__exit__(None, None, None)

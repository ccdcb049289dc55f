"""Fixtures of the web's tests: a fresh database per test, the real framework-api (and
recruitment-api) in process behind `transports`, users, and signing in through the real forms."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from web_framework_support import FRAMEWORK_OWNER, ServiceTransport, framework_ids, framework_yaml

from servicekit.auth import Principal
from servicekit.db import make_engine
from support import ON_POSTGRES, Keys, fresh_database
from web.accounts import service
from web.config import Settings
from web.db import upgrade
from web.main import create_app

FRAMEWORK_URL = "http://framework.test"
PASSWORD = "a-long-enough-password"


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no form with a csrf_token"
    return match.group(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """argon2 at production cost takes a good part of a second per hash on a small machine; the
    tests check behaviour, not cost, so they hash cheaply (test_web_roles checks the real cost)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(service, "_dummy_hash", None)


# --- framework-api, real, in process ---------------------------------------------------------
# The framework pages are tested on a small framework loaded into the real framework-api by its own
# seed loader: version 1.0.0 (published), 1.1.0 (published: one capability added, one reworded) and
# a draft 1.2.0 made through the API. Identifiers are the loader's (derived from title and codes).


@dataclass
class FrameworkService:
    """The real framework-api app with the test framework, and its draft's id."""

    app: Any
    draft_id: uuid.UUID


@pytest.fixture(scope="session")
def framework_service(tmp_path_factory, keys: Keys) -> Iterator[FrameworkService]:
    """framework-api in process, one per test process: the web's framework pages only read it."""
    import yaml

    from framework_api.config import Settings as FrameworkSettings
    from framework_api.main import create_app as create_framework_app
    from framework_api.seed.loader import seed

    folder = tmp_path_factory.mktemp("framework")
    with fresh_database(folder, "webfw") as url:
        framework = create_framework_app(
            FrameworkSettings(
                database_url=url,
                jwt_public_key_path=keys.public_path,
                environment="test",
                log_level="WARNING",
                public_base_url=FRAMEWORK_URL,
            )
        )
        with Session(framework.state.engine) as session:
            for version in ("1.0.0", "1.1.0"):
                source = folder / f"framework-{version}.yaml"
                source.write_text(yaml.safe_dump(framework_yaml(version)), encoding="utf-8")
                seed(session, source)
        with TestClient(framework) as api:
            draft = api.post(
                f"/frameworks/{framework_ids()['framework']}/versions",
                json={"version": "1.2.0", "change_note": "Change note of 1.2.0"},
                headers=keys.headers("framework:read", "framework:write", org=FRAMEWORK_OWNER),
            )
            assert draft.status_code == 201, draft.text
            yield FrameworkService(framework, uuid.UUID(draft.json()["id"]))
        framework.state.engine.dispose()


@pytest.fixture
def framework_api(framework_service: FrameworkService) -> ServiceTransport:
    """framework-api as the web reaches it in these tests (a fresh transport per test)."""
    return ServiceTransport(framework_service.app)


# --- the app, users and browsers ------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Iterator[str]:
    """One database built by the migrations, copied for each test (much faster than migrating
    each time; test_web_migrations runs the migrations themselves on a fresh database)."""
    with fresh_database(tmp_path_factory.mktemp("template"), "webtemplate") as url:
        upgrade(url)
        yield url


@contextmanager
def database_from(template: str, directory: Path) -> Iterator[str]:
    """A database as the migrations left it: a copy of the SQLite file, or on PostgreSQL the
    migrated database emptied (as a superuser, with triggers off: the audit table refuses TRUNCATE)."""
    if not ON_POSTGRES:
        target = directory / "web.db"
        shutil.copyfile(make_url(template).database, target)
        yield f"sqlite:///{target}"
        return
    engine = make_engine(template)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(
                text(
                    "TRUNCATE web_user, user_session, sign_in_throttle, sign_in_event, audit_record "
                    "RESTART IDENTITY CASCADE"
                )
            )
    finally:
        engine.dispose()
    yield template


@pytest.fixture
def settings(tmp_path, keys: Keys, migrated_template: str) -> Iterator[Settings]:
    with database_from(migrated_template, tmp_path) as url:
        yield Settings(
            environment="test",
            database_url=url,
            keys_dir=keys.private_path.parent,
            framework_api_url=FRAMEWORK_URL,
            log_json=False,
            log_level="WARNING",
            migrate_on_startup=False,
        )


@pytest.fixture
def app(settings: Settings, framework_api: ServiceTransport):
    application = create_app(settings, transports={FRAMEWORK_URL: framework_api})
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def make_client(app) -> Iterator[Callable[[], TestClient]]:
    """More browsers on the same app (each with its own cookies)."""
    opened: list[TestClient] = []

    def make() -> TestClient:
        test_client = TestClient(app, follow_redirects=False)
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


@pytest.fixture
def db(app) -> Iterator[Session]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make_user(app) -> Callable[..., Any]:
    def make(
        username: str,
        *,
        org: str = "BHSCT",
        roles: tuple[str, ...] = ("manager",),
        password: str = PASSWORD,
        display_name: str | None = None,
    ):
        with Session(app.state.engine, expire_on_commit=False) as session:
            actor = Principal(subject="test", org=org, scopes=frozenset())
            user, _ = service.create_user(
                session,
                actor,
                org,
                service.NewUser(
                    username=username,
                    display_name=display_name or username.title(),
                    roles=list(roles),
                    password=password,
                ),
            )
            return user

    return make


def sign_in(test_client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/") -> httpx.Response:
    page = test_client.get("/sign-in")
    return test_client.post(
        "/sign-in",
        data={"username": username, "password": password, "next": next_url, "csrf_token": csrf_from(page.text)},
    )


@pytest.fixture
def signed_in(client: TestClient, make_user) -> Callable[..., TestClient]:
    """Create a user and sign the default client in as them."""

    def sign(username: str = "manager", **kwargs) -> TestClient:
        make_user(username, **kwargs)
        response = sign_in(client, username)
        assert response.status_code == 303, response.text
        return client

    return sign


@pytest.fixture
def login() -> Callable[..., httpx.Response]:
    return sign_in


# --- recruitment: framework-api and recruitment-api in process ------------------------------

RECRUITMENT_URL = "http://recruitment-api.internal"
FRAMEWORK_API_URL = "http://framework-api.internal"


@pytest.fixture(scope="module")
def recruitment_services(tmp_path_factory, keys) -> Iterator[dict[str, Any]]:
    """The real framework-api (seeded) and recruitment-api, in process, for one test module;
    recruitment-api reads framework versions from that framework-api, as in production."""
    from framework_api.config import Settings as FrameworkSettings
    from framework_api.main import create_app as create_framework_app
    from framework_api.seed.loader import seed
    from recruitment_api.config import Settings as RecruitmentSettings
    from recruitment_api.main import create_app as create_recruitment_app
    from recruitment_api.vacancies.framework_client import FrameworkClient as RecruitmentFrameworkClient
    from servicekit.service_tokens import ServiceTokenProvider

    with (
        fresh_database(tmp_path_factory.mktemp("fw"), "webrecfw") as framework_url,
        fresh_database(tmp_path_factory.mktemp("rec"), "webrec") as recruitment_url,
    ):
        framework = create_framework_app(
            FrameworkSettings(
                database_url=framework_url,
                jwt_public_key_path=keys.public_path,
                environment="test",
                log_level="WARNING",
                public_base_url=FRAMEWORK_API_URL,
            )
        )
        with Session(framework.state.engine) as session:
            seed(session)
        with TestClient(framework) as framework_client:
            recruitment = create_recruitment_app(
                RecruitmentSettings(
                    database_url=recruitment_url,
                    jwt_public_key_path=keys.public_path,
                    environment="test",
                    log_level="WARNING",
                ),
                framework_client=RecruitmentFrameworkClient(
                    FRAMEWORK_API_URL,
                    ServiceTokenProvider(
                        subject="recruitment-api", scopes=["framework:read"], private_key_path=keys.private_path
                    ),
                    transport=framework_client._transport,
                ),
            )
            with TestClient(recruitment) as api:
                yield {"framework": framework, "recruitment": recruitment, "api": api}
            recruitment.state.engine.dispose()
        framework.state.engine.dispose()


@pytest.fixture
def recruitment_web(settings: Settings, recruitment_services):
    """The web composing the in-process framework-api and recruitment-api through `transports`."""
    settings = settings.model_copy(
        update={"framework_api_url": FRAMEWORK_API_URL, "recruitment_api_url": RECRUITMENT_URL}
    )
    application = create_app(
        settings,
        transports={
            FRAMEWORK_API_URL: httpx.ASGITransport(app=recruitment_services["framework"]),
            RECRUITMENT_URL: httpx.ASGITransport(app=recruitment_services["recruitment"]),
        },
    )
    yield application
    application.state.engine.dispose()


def add_user(application, username: str, *, org: str, roles: tuple[str, ...], display_name: str | None = None):
    with Session(application.state.engine, expire_on_commit=False) as session:
        user, _ = service.create_user(
            session,
            Principal(subject="test", org=org, scopes=frozenset()),
            org,
            service.NewUser(
                username=username,
                display_name=display_name or username.title(),
                roles=list(roles),
                password=PASSWORD,
            ),
        )
        return user


@pytest.fixture
def browser_as(recruitment_web) -> Iterator[Callable[..., TestClient]]:
    """A browser on the recruitment web, signed in as a new user with the roles given."""
    opened: list[TestClient] = []

    def open_as(username: str, *, org: str = "SEHSCT", roles: tuple[str, ...] = ("assessor",), display_name=None):
        user = add_user(recruitment_web, username, org=org, roles=roles, display_name=display_name)
        test_client = TestClient(recruitment_web, follow_redirects=False)
        test_client.__enter__()
        opened.append(test_client)
        response = sign_in(test_client, username)
        assert response.status_code == 303, response.text
        test_client.user = user
        return test_client

    yield open_as
    for test_client in opened:
        test_client.__exit__(None, None, None)

"""Fixtures of the web's tests: a fresh database per test, a fake framework-api behind an
httpx.MockTransport, users, and signing in through the real forms."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from servicekit.auth import Principal, TokenVerifier
from servicekit.db import make_engine
from servicekit.errors import ProblemError
from support import ON_POSTGRES, Keys, fresh_database
from web.accounts import service
from web.config import Settings
from web.db import upgrade
from web.main import create_app

FRAMEWORK_URL = "http://framework.test"
PASSWORD = "a-long-enough-password"

FRAMEWORK_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
V1_ID = uuid.UUID("22222222-2222-4222-8222-222222222221")
V2_ID = uuid.UUID("22222222-2222-4222-8222-222222222222")
C4 = uuid.UUID("33333333-3333-4333-8333-333333333304")
C4_AS1 = uuid.UUID("33333333-3333-4333-8333-333333333341")
C4_TL1 = uuid.UUID("33333333-3333-4333-8333-333333333342")
V4 = uuid.UUID("33333333-3333-4333-8333-333333333344")

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


# --- a fake framework-api -------------------------------------------------------------------


def _version(vid: uuid.UUID, number: str, status: str) -> dict[str, Any]:
    return {
        "id": str(vid),
        "framework_id": str(FRAMEWORK_ID),
        "version": number,
        "status": status,
        "change_note": f"Change note of {number}",
        "content_hash": "ab" * 32 if status != "draft" else None,
        "published_at": "2026-01-15T10:00:00Z" if status != "draft" else None,
        "deprecated_at": None,
        "supersedes_id": None,
        "created_at": "2026-01-10T10:00:00Z",
    }


LEVELS = [
    {
        "code": "essential",
        "position": 1,
        "title": "Essential",
        "description": "Some of the time",
        "proficient_threshold": False,
    },
    {
        "code": "proficient",
        "position": 2,
        "title": "Proficient",
        "description": "Consistently",
        "proficient_threshold": True,
    },
    {
        "code": "strong",
        "position": 3,
        "title": "Strong",
        "description": "Beyond their role",
        "proficient_threshold": False,
    },
    {
        "code": "exemplary",
        "position": 4,
        "title": "Exemplary",
        "description": "A role model",
        "proficient_threshold": False,
    },
]
SCALE = {
    "id": str(uuid.UUID(int=9)),
    "title": "Collective leadership proficiency",
    "description": None,
    "levels": LEVELS,
}

ITEMS = [
    {
        "identifier": str(C4),
        "type": "component",
        "code": "C4",
        "statement": "Compassionate leadership",
        "description": "Attending, understanding, empathising and helping.",
        "audience": "all_staff",
        "sequence": 0,
        "source": "Our Approach: Compassionate leadership",
        "parent": None,
    },
    {
        "identifier": str(C4_AS1),
        "type": "capability",
        "code": "C4.AS.1",
        "statement": "Listens with compassion",
        "description": "Gives colleagues full attention.",
        "audience": "all_staff",
        "sequence": 0,
        "source": "Our Approach: Compassionate leadership",
        "parent": str(C4),
    },
    {
        "identifier": str(C4_TL1),
        "type": "capability",
        "code": "C4.TL.1",
        "statement": "Creates psychological safety in the team",
        "description": "So people can speak up.",
        "audience": "team_leaders",
        "sequence": 1,
        "source": None,
        "parent": str(C4),
    },
    {
        "identifier": str(V4),
        "type": "value",
        "code": "V4",
        "statement": "Compassion",
        "description": "We are sensitive, caring, respectful and understanding.",
        "audience": "all_staff",
        "sequence": 1,
        "source": "HSC values",
        "parent": None,
    },
]


def _ref(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("identifier", "code", "type", "statement")}


def _by_id(identifier: str) -> dict[str, Any]:
    return next(item for item in ITEMS if item["identifier"] == identifier)


def _node(item: dict[str, Any]) -> dict[str, Any]:
    children = [_node(child) for child in ITEMS if child["parent"] == item["identifier"]]
    return {**{k: v for k, v in item.items() if k != "parent"}, "children": children}


@dataclass
class FakeFramework:
    """framework-api as the web sees it. `failure` makes every call fail: "connect", "timeout",
    or an HTTP status (500, 401, 403, ...)."""

    keys: Keys
    failure: str | int | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    principals: list[Principal] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.verifier = TokenVerifier(
            issuer="collective-local", audience="collective", public_key_pem=self.keys.public_path.read_bytes()
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failure == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if self.failure == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if isinstance(self.failure, int):
            return self._problem(self.failure, "forced failure")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return self._problem(401, "A bearer token is required.")
        try:
            principal = self.verifier.verify(auth.removeprefix("Bearer "))
        except ProblemError as exc:
            return self._problem(exc.status, exc.detail or "")
        self.principals.append(principal)
        if not principal.has("framework:read"):
            return self._problem(403, "This operation needs the scope(s): framework:read.")
        return self._route(request)

    @staticmethod
    def _problem(status: int, detail: str) -> httpx.Response:
        return httpx.Response(
            status,
            json={
                "type": "https://collective.hscni.net/problems/x",
                "title": "Problem",
                "status": status,
                "detail": detail,
            },
            headers={"content-type": "application/problem+json"},
        )

    def _framework(self) -> dict[str, Any]:
        return {
            "id": str(FRAMEWORK_ID),
            "title": "HSC Collective Leadership Framework",
            "description": "Capabilities, values and behaviours.",
            "publisher": "HSC Leadership Centre",
            "subject": "Collective leadership",
            "language": "en",
            "owner_org": "BSO",
            "created_at": "2026-01-10T10:00:00Z",
            "latest_published": _version(V1_ID, "1.0.0", "published"),
            "versions": [_version(V1_ID, "1.0.0", "published"), _version(V2_ID, "1.1.0", "draft")],
        }

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        params = request.url.params
        versions = {str(V1_ID): _version(V1_ID, "1.0.0", "published"), str(V2_ID): _version(V2_ID, "1.1.0", "draft")}
        if path == "/frameworks":
            return httpx.Response(200, json={"items": [self._framework()], "next": None})
        if path == f"/frameworks/{FRAMEWORK_ID}":
            return httpx.Response(200, json=self._framework())
        match = re.fullmatch(r"/versions/([^/]+)(/.*)?", path)
        if not match or match.group(1) not in versions:
            return self._problem(404, "No framework version with that identifier.")
        vid, rest = match.group(1), match.group(2) or ""
        summary = versions[vid]
        if rest == "":
            return httpx.Response(
                200,
                json={
                    **summary,
                    "framework": {"id": str(FRAMEWORK_ID), "title": "HSC Collective Leadership Framework"},
                    "scale": SCALE,
                    "item_count": len(ITEMS),
                },
            )
        if rest == "/tree":
            roots = [_node(item) for item in ITEMS if item["parent"] is None]
            return httpx.Response(
                200,
                json={
                    "version": summary,
                    "framework": {"id": str(FRAMEWORK_ID), "title": "HSC Collective Leadership Framework"},
                    "scale": SCALE,
                    "items": roots,
                },
            )
        if rest == "/items":
            q = (params.get("q") or "").lower()
            found = [
                {**item, "version_id": vid}
                for item in ITEMS
                if q in (item["code"] + " " + item["statement"] + " " + (item["description"] or "")).lower()
            ]
            return httpx.Response(200, json={"items": found, "next": None})
        item_match = re.fullmatch(r"/items/([^/]+)", rest)
        if item_match:
            try:
                item = _by_id(item_match.group(1))
            except StopIteration:
                return self._problem(404, "No item with that identifier.")
            descriptors = []
            if item["type"] in ("capability", "value"):
                descriptors = [
                    {
                        "level": lv["code"],
                        "level_title": lv["title"],
                        "position": lv["position"],
                        "proficient_threshold": lv["proficient_threshold"],
                        "description": f"{lv['title']} descriptor of {item['code']}",
                    }
                    for lv in reversed(LEVELS)
                ]
            parent = _ref(_by_id(item["parent"])) if item["parent"] else None
            children = [_ref(child) for child in ITEMS if child["parent"] == item["identifier"]]
            associations = []
            if item["identifier"] == str(C4_AS1):
                associations = [
                    {
                        "id": str(uuid.UUID(int=77)),
                        "type": "is_related_to",
                        "direction": "outgoing",
                        "other": _ref(_by_id(str(V4))),
                    }
                ]
            return httpx.Response(
                200,
                json={
                    **item,
                    "version_id": vid,
                    "parent_item": parent,
                    "children": children,
                    "descriptors": descriptors,
                    "associations": associations,
                },
            )
        if rest == "/diff":
            other = params.get("from")
            if other not in versions:
                return self._problem(404, "No framework version with that identifier.")
            return httpx.Response(
                200,
                json={
                    "from": versions[other],
                    "to": summary,
                    "added": [_ref(ITEMS[2])],
                    "removed": [],
                    "reworded": [
                        {
                            "item": _ref(ITEMS[1]),
                            "changes": [
                                {"field": "statement", "before": "Listens well", "after": "Listens with compassion"}
                            ],
                        }
                    ],
                    "moved": [],
                    "descriptors": [],
                    "associations": [],
                },
            )
        if rest == "/case":
            return httpx.Response(200, json={"CFDocument": {"identifier": str(FRAMEWORK_ID)}, "CFItems": []})
        if rest == "/csv":
            return httpx.Response(
                200,
                text="identifier,code\nx,C4\n",
                headers={
                    "content-type": "text/csv; charset=utf-8",
                    "content-disposition": 'attachment; filename="framework-1.0.0.csv"',
                },
            )
        return self._problem(404, "Not found")


# --- the app, users and browsers ------------------------------------------------------------


@pytest.fixture
def fake_framework(keys: Keys) -> FakeFramework:
    return FakeFramework(keys)


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
def app(settings: Settings, fake_framework: FakeFramework):
    application = create_app(settings, transports={FRAMEWORK_URL: httpx.MockTransport(fake_framework.handle)})
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

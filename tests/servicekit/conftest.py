"""A tiny service built with `create_service_app`, exercising every piece of servicekit.

Each test module gets its own app and its own fresh database (SQLite, or PostgreSQL with
TEST_DATABASE_URL). Only servicekit's tables and a private `sk_thing` table are created, on a
private MetaData for the latter so no service's metadata is touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from servicekit import audit
from servicekit.app import create_service_app
from servicekit.audit import AuditRecord
from servicekit.auth import Principal
from servicekit.config import ServiceSettings
from servicekit.db import make_engine
from servicekit.errors import ProblemError, not_found
from servicekit.etags import check_if_match, not_modified, strong_etag
from servicekit.idempotency import Idempotency, IdempotencyRecord
from servicekit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    cursor_value,
    next_link,
    paginate,
    read_cursor,
)
from servicekit.params import RequireScopes, authenticated, session_dependency
from servicekit.problems import problem_responses
from support import fresh_database

MAX_BODY = 1024
BULK_MAX_BODY = 8192

thing_metadata = sa.MetaData()
things = sa.Table(
    "sk_thing",
    thing_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.String(36), unique=True, nullable=False),
    sa.Column("org", sa.String(50), nullable=False),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
)

SessionDep = Annotated[Session, Depends(session_dependency)]
Reader = Annotated[Principal, Depends(RequireScopes("things:read"))]
Writer = Annotated[Principal, Depends(RequireScopes("things:read", "things:write"))]


class ThingCreate(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    size: int = Field(ge=0)


class ThingUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    size: int | None = Field(default=None, ge=0)


class ThingOut(BaseModel):
    id: uuid.UUID
    name: str
    size: int


def _public(row: Any) -> dict[str, Any]:
    return {"id": row.uid, "name": row.name, "size": row.size}


def _load(session: Session, principal: Principal, uid: uuid.UUID) -> Any:
    row = session.execute(sa.select(things).where(things.c.uid == str(uid), things.c.org == principal.org)).first()
    if row is None:
        raise not_found("thing")
    return row


router = APIRouter(prefix="/things", tags=["things"])


@router.post(
    "",
    status_code=201,
    summary="Create a thing",
    responses={
        **problem_responses(409),
        422: {"description": "A field is not valid, or the Idempotency-Key was reused."},
    },
)
def create_thing(
    body: ThingCreate,
    request: Request,
    session: SessionDep,
    principal: Writer,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    idempotency = Idempotency(session, principal, idempotency_key, "create-thing", body)
    if (replayed := idempotency.replay()) is not None:
        return replayed
    # Tests simulate a concurrent twin request here: it commits the same key after our replay()
    # found nothing (before our first write, so SQLite's single writer does not block it).
    hook = getattr(request.app.state, "after_replay", None)
    if hook is not None:
        hook(idempotency)
    uid = str(uuid.uuid4())
    session.execute(things.insert().values(uid=uid, org=principal.org, name=body.name, size=body.size))
    public = {"id": uid, "name": body.name, "size": body.size}
    audit.record(session, principal, "thing.create", "thing", uid, after=public)
    headers = {"Location": f"/things/{uid}", "ETag": strong_etag(public)}
    idempotency.remember(201, public, headers)
    idempotency.commit()
    return JSONResponse(public, status_code=201, headers=headers)


@router.get("", response_model=Page[ThingOut], summary="List things")
def list_things(
    request: Request,
    session: SessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[ThingOut]:
    position = read_cursor(request, cursor)
    after = cursor_value(position, "after", int) if position else 0
    rows = session.execute(
        sa.select(things)
        .where(things.c.org == principal.org, things.c.id > after)
        .order_by(things.c.id)
        .limit(limit + 1)
    ).all()
    page, following = paginate(list(rows), limit, lambda row: {"after": row.id})
    return Page[ThingOut](items=[ThingOut(**_public(row)) for row in page], next=next_link(request, following))


@router.get("/{uid}", summary="Read a thing")
def get_thing(uid: uuid.UUID, request: Request, session: SessionDep, principal: Reader) -> Any:
    public = _public(_load(session, principal, uid))
    etag = strong_etag(public)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(public, headers={"ETag": etag})


@router.patch("/{uid}", summary="Change a thing")
def update_thing(
    uid: uuid.UUID, body: ThingUpdate, request: Request, session: SessionDep, principal: Writer
) -> JSONResponse:
    row = _load(session, principal, uid)
    before = _public(row)
    check_if_match(request, strong_etag(before), required=True)
    changes = body.model_dump(exclude_unset=True)
    if changes:
        session.execute(things.update().where(things.c.id == row.id).values(**changes))
    after = {**before, **changes}
    audit.record(session, principal, "thing.update", "thing", uid, before=before, after=after)
    session.commit()
    return JSONResponse(after, headers={"ETag": strong_etag(after)})


misc = APIRouter(tags=["misc"])


@misc.get("/whoami")
def whoami(principal: Annotated[Principal, Depends(authenticated)]) -> dict[str, Any]:
    return {
        "subject": principal.subject,
        "org": principal.org,
        "scopes": sorted(principal.scopes),
        "name": principal.name,
    }


@misc.get("/boom")
def boom() -> None:
    raise RuntimeError("password=hunter2 in SELECT * FROM secret_table")


@misc.get("/locked")
def locked() -> None:
    raise ProblemError(409, "thing-locked", "The thing is locked.", locked_by="someone", headers={"X-Why": "lock"})


@misc.get("/plain-http-error")
def plain_http_error() -> None:
    raise HTTPException(status_code=409, detail="A plain HTTPException.")


@misc.post("/echo-size")
async def echo_size(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@misc.post("/bulk/import")
async def bulk_import(request: Request) -> dict[str, int]:
    return {"received": len(await request.body())}


@misc.post("/echo-json")
def echo_json(body: ThingCreate) -> ThingCreate:
    return body


@misc.post("/stream-size")
async def stream_size(request: Request) -> dict[str, int]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
    return {"received": received}


def build_app(database_url: str, public_key_path, **overrides: Any):
    settings = ServiceSettings(
        environment="test",
        database_url=database_url,
        jwt_public_key_path=public_key_path,
        max_body_bytes=MAX_BODY,
        migrate_on_startup=False,
        **overrides,
    )
    engine = make_engine(settings.database_url)
    SQLModel.metadata.create_all(engine, tables=[AuditRecord.__table__, IdempotencyRecord.__table__])
    thing_metadata.create_all(engine)
    return create_service_app(
        title="servicekit-test",
        version="0.0.1",
        description="A service used only to test servicekit.",
        settings=settings,
        engine=engine,
        routers=[router, misc],
        body_limit_overrides={r"/bulk/.*": BULK_MAX_BODY},
    )


@pytest.fixture(scope="module")
def sk_database(tmp_path_factory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("servicekit"), "servicekit") as url:
        yield url


@pytest.fixture(scope="module")
def sk_app(sk_database, keys):
    app = build_app(sk_database, keys.public_path)
    yield app
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def sk_client(sk_app) -> Iterator[TestClient]:
    with TestClient(sk_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def sk_engine(sk_app) -> Engine:
    return sk_app.state.engine


@pytest.fixture
def count(sk_engine) -> Callable[..., int]:
    """Rows in a table, optionally filtered: count(AuditRecord, AuditRecord.target_id == x)."""

    def _count(table: Any, *where: Any) -> int:
        table = getattr(table, "__table__", table)
        with sk_engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()

    return _count


@pytest.fixture
def writer(keys) -> dict[str, str]:
    return keys.headers("things:read", "things:write")


@pytest.fixture
def reader(keys) -> dict[str, str]:
    return keys.headers("things:read")


@pytest.fixture
def make_thing(sk_client, writer) -> Callable[..., dict[str, Any]]:
    def _make(name: str | None = None, size: int = 1, headers: dict[str, str] | None = None):
        response = sk_client.post(
            "/things",
            json={"name": name or f"thing-{uuid.uuid4().hex[:8]}", "size": size},
            headers=headers or writer,
        )
        assert response.status_code == 201, response.text
        return response.json()

    return _make


@pytest.fixture(scope="module")
def sk_build_app() -> Callable[..., Any]:
    """The app factory itself, for tests that need an app of their own."""
    return build_app

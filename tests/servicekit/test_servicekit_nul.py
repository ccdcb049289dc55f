"""NUL characters are refused at the request edge, naming the field, and by a SQLite listener
that makes SQLite refuse them as PostgreSQL does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from servicekit.db import refuse_nul_parameters
from servicekit.limits import BodySizeLimitMiddleware
from servicekit.nul import install_nul_guard
from servicekit.problems import install_problem_handlers


class Item(BaseModel):
    name: str


class Order(BaseModel):
    title: str = ""
    items: list[Item] = []
    tags: dict[str, str] = {}


def build() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/orders")
    def create(order: Order) -> dict:
        return {"ok": True}

    @app.get("/orders")
    def search(q: str = "") -> dict:
        return {"q": q}

    @app.post("/upload")
    async def upload(request: Request) -> dict:
        return {"size": len(await request.body())}

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=1000)
    install_nul_guard(app, inside=BodySizeLimitMiddleware)
    return app


@pytest.fixture(scope="module")
def client():
    with TestClient(build()) as test_client:
        yield test_client


def fields(response) -> list[str | None]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"].endswith("/validation-error")
    assert all(e["type"] == "nul_character" for e in body["errors"])
    return [e["field"] for e in body["errors"]]


def test_a_nul_in_json_is_refused_naming_each_field(client):
    order = {"title": "a\x00", "items": [{"name": "ok"}, {"name": "b\x00c"}], "tags": {"k\x00": "v"}}
    assert fields(client.post("/orders", json=order)) == ["body.title", "body.items.1.name", "body.tags"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(client):
    response = client.post("/orders", content=b'{"title": "C:\\\\u0000"}', headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


def test_a_nul_split_across_chunks_is_still_found(client):
    def chunks():
        yield b'{"title": "a\\u00'
        yield b'00"}'

    response = client.post("/orders", content=chunks(), headers={"content-type": "application/json"})
    assert fields(response) == ["body.title"]


@pytest.mark.parametrize("query", ["q=a%00b", "q%00=x", "q=%00"])
def test_a_nul_in_the_query_string_is_refused(client, query):
    assert fields(client.get(f"/orders?{query}"))[0] == "query.q"


def test_a_nul_in_a_csv_body_names_its_line(client):
    response = client.post("/upload", content=b"name\nAnn\nB\x00b\n", headers={"content-type": "text/csv"})
    assert fields(response) == ["body"]
    assert response.json()["errors"][0]["row"] == 3


@pytest.mark.parametrize("body", [b"name=a%00b", b"name=a\x00b"])
def test_a_nul_in_a_form_is_refused_naming_the_field(client, body):
    response = client.post("/upload", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert fields(response) == ["body.name"]


def test_other_bodies_pass_untouched(client):
    for content_type in ("application/octet-stream", "multipart/form-data; boundary=x"):
        response = client.post("/upload", content=b"a\x00b", headers={"content-type": content_type})
        assert response.status_code == 200, content_type


def test_the_size_limit_still_comes_first(client):
    response = client.post("/upload", content=b"\x00" * 2000, headers={"content-type": "text/csv"})
    assert response.status_code == 413


def test_clean_requests_are_unchanged(client):
    assert client.post("/orders", json={"title": "fine", "items": [{"name": "x"}]}).json() == {"ok": True}
    assert client.get("/orders", params={"q": "x"}).json() == {"q": "x"}


def test_the_sqlite_listener_refuses_a_nul_as_postgresql_does(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'nul.db'}")
    sa.event.listen(engine, "before_cursor_execute", refuse_nul_parameters)
    table = sa.Table("t", sa.MetaData(), sa.Column("v", sa.String))
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"v": "fine"}])
        with pytest.raises(sa.exc.DataError, match="NUL"):
            connection.execute(table.insert(), [{"v": "ok"}, {"v": "a\x00b"}])
        with pytest.raises(sa.exc.DataError, match="NUL"):
            connection.execute(table.select().where(table.c.v == "\x00"))
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 1
    engine.dispose()

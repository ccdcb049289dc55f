"""Cursor pagination: opaque cursors round-trip, bad cursors are 422, `next` links walk a list."""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.datastructures import URL, QueryParams

from servicekit.errors import PROBLEM_MEDIA_TYPE, ProblemError, problem_type
from servicekit.pagination import Page, cursor_value, decode_cursor, encode_cursor, next_link, paginate

KEY = b"k" * 32
PATH = "/things"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)
positions = st.dictionaries(st.text(), json_values, max_size=6)


@given(positions)
def test_cursor_round_trip(position):
    cursor = encode_cursor(position, KEY, PATH)
    assert decode_cursor(cursor, KEY, PATH) == position


@given(positions)
def test_cursor_is_url_safe_and_unpadded(position):
    cursor = encode_cursor(position, KEY, PATH)
    assert re.fullmatch(r"[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+", cursor)
    assert str(URL("/x").include_query_params(cursor=cursor)).endswith("cursor=" + cursor)


@given(positions)
def test_cursor_does_not_depend_on_key_order(position):
    assert encode_cursor(position, KEY) == encode_cursor(dict(reversed(list(position.items()))), KEY)


def unsigned(position) -> str:
    """What a client could make up: the old, unsigned form of a cursor."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@given(st.text(max_size=200))
@example("[[[[[[")
@example(base64.urlsafe_b64encode(b"[" * 5000).decode())
@example(base64.urlsafe_b64encode(b'{"a":' * 3000).decode())
@example(base64.urlsafe_b64encode(b"\xff\xfe\x00").decode())
@example("é")
@example("a.é")
@example("a")
@example("====")
@example("e30.")
def test_decode_of_anything_made_up_is_a_422(cursor):
    if not cursor:
        assert decode_cursor(cursor, KEY, PATH) is None
        return
    with pytest.raises(ProblemError) as refused:
        decode_cursor(cursor, KEY, PATH)
    assert refused.value.status == 422
    assert refused.value.errors[0]["field"] == "query.cursor"


@pytest.mark.parametrize("position", [{"after": -5}, {"after": 10**30}, {"after": 2**63}, {"after": 1}, {"offset": 0}])
def test_a_cursor_the_service_did_not_sign_is_refused_whatever_it_holds(position):
    for cursor in (unsigned(position), unsigned(position) + ".AAAAAAAAAAAAAAAAAAAAAA"):
        with pytest.raises(ProblemError) as refused:
            decode_cursor(cursor, KEY, PATH)
        assert refused.value.slug == "invalid-cursor"


def test_a_cursor_signed_with_another_key_or_for_another_list_is_refused():
    cursor = encode_cursor({"after": 3}, KEY, PATH)
    assert decode_cursor(cursor, KEY, PATH) == {"after": 3}
    for key, path in ((b"x" * 32, PATH), (KEY, "/other-things")):
        with pytest.raises(ProblemError):
            decode_cursor(cursor, key, path)
    payload, tag = cursor.split(".")
    edited = unsigned({"after": 4}) + "." + tag
    with pytest.raises(ProblemError):
        decode_cursor(edited, KEY, PATH)


@pytest.mark.parametrize("value", [[1, 2], "text", 3, None, True])
def test_cursor_that_is_not_an_object_is_refused(value):
    # Only a leaked key could sign one; still a 422.
    cursor = encode_cursor(value, KEY, PATH)  # type: ignore[arg-type]
    with pytest.raises(ProblemError) as refused:
        decode_cursor(cursor, KEY, PATH)
    assert refused.value.slug == "invalid-cursor"


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_is_the_first_page(cursor):
    assert decode_cursor(cursor, KEY, PATH) is None


class FakeRequest:
    """What next_link reads: the URL and the app's settings."""

    def __init__(self, url: str) -> None:
        from types import SimpleNamespace

        from pydantic import SecretStr

        self.url = URL(url)
        self.app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(cursor_secret=SecretStr("k" * 32))))


def test_next_link_keeps_the_query_and_replaces_the_cursor():
    request = FakeRequest("http://testserver/things?limit=2&cursor=old&status=open")
    link = next_link(request, {"after": 7})  # type: ignore[arg-type]
    assert link is not None
    parsed = URL(link)
    params = dict(QueryParams(parsed.query))
    assert params["limit"] == "2"
    assert params["status"] == "open"
    assert decode_cursor(params["cursor"], KEY, PATH) == {"after": 7}
    assert parsed.path == "/things"
    assert next_link(request, None) is None  # type: ignore[arg-type]


def test_paginate():
    rows = list(range(5))
    assert paginate(rows[:3], 3, lambda row: {"after": row}) == ([0, 1, 2], None)
    assert paginate(rows[:2], 3, lambda row: {"after": row}) == ([0, 1], None)
    assert paginate(rows[:4], 3, lambda row: {"after": row}) == ([0, 1, 2], {"after": 2})
    assert paginate([], 3, lambda row: {"after": row}) == ([], None)


def test_page_schema():
    page = Page[int](items=[1, 2])
    assert page.model_dump() == {"items": [1, 2], "next": None}


# --- over HTTP -----------------------------------------------------------------------------


def test_next_links_walk_every_item_once(sk_client, keys, make_thing):
    org = f"ORG{uuid.uuid4().hex[:6]}"
    writer = keys.headers("things:read", "things:write", org=org)
    reader = keys.headers("things:read", org=org)
    made = [make_thing(headers=writer)["id"] for _ in range(5)]

    seen, url, pages = [], "/things?limit=2", 0
    while url:
        response = sk_client.get(url, headers=reader)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        url, pages = body["next"], pages + 1
        assert pages <= 3
    assert seen == made
    assert pages == 3


def test_last_page_has_no_next(sk_client, keys, make_thing):
    org = f"ORG{uuid.uuid4().hex[:6]}"
    make_thing(headers=keys.headers("things:read", "things:write", org=org))
    body = sk_client.get("/things?limit=5", headers=keys.headers("things:read", org=org)).json()
    assert len(body["items"]) == 1
    assert body["next"] is None


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", base64.urlsafe_b64encode(b"[1]").decode()])
def test_bad_cursor_over_http_is_a_422_problem(sk_client, reader, cursor):
    response = sk_client.get("/things", params={"cursor": cursor}, headers=reader)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == problem_type("invalid-cursor")
    assert body["errors"][0]["field"] == "query.cursor"


def test_deeply_nested_cursor_is_a_422_not_a_500(sk_client, reader):
    cursor = base64.urlsafe_b64encode(b"[" * 4000).decode().rstrip("=")
    response = sk_client.get("/things", params={"cursor": cursor}, headers=reader)
    assert response.status_code == 422


@pytest.mark.parametrize("limit", [0, -1, 501, "many"])
def test_bad_limit_is_422_naming_the_limit(sk_client, reader, limit):
    response = sk_client.get("/things", params={"limit": limit}, headers=reader)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.limit"


def test_cursor_value_refuses_tampered_fields():
    assert cursor_value({"after": 3}, "after", int) == 3
    assert cursor_value({"after": 2**63 - 1}, "after", int) == 2**63 - 1
    assert cursor_value({"title": "Values"}, "title", str) == "Values"
    for position in (
        {},
        {"after": "3"},
        {"after": True},
        {"after": None},
        {"after": -5},
        {"after": 2**63},
        {"after": 10**100},
    ):
        with pytest.raises(ProblemError) as refused:
            cursor_value(position, "after", int)
        assert refused.value.status == 422
    for position in ({"title": "x" * 1001}, {"title": "a\x00b"}):
        with pytest.raises(ProblemError):
            cursor_value(position, "title", str)

"""Strong ETags; If-None-Match (304); If-Match (412 on mismatch, 428 when required and missing)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from servicekit.errors import PROBLEM_MEDIA_TYPE, ProblemError, problem_type
from servicekit.etags import check_if_match, not_modified, strong_etag

STRONG = re.compile(r'^"[0-9a-f]{32}"$')


def request_with(**headers: str) -> Request:
    raw = [(name.replace("_", "-").lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""})


# --- strong_etag ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_strong_etag_is_a_quoted_strong_validator_and_deterministic(value):
    tag = strong_etag(value)
    assert STRONG.match(tag)
    assert not tag.startswith("W/")
    assert strong_etag(value) == tag


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_strong_etag_ignores_key_order(value):
    assert strong_etag(value) == strong_etag(dict(reversed(list(value.items()))))


@given(st.text())
def test_strong_etag_of_text_equals_that_of_its_utf8_bytes(text):
    assert strong_etag(text) == strong_etag(text.encode())


@given(st.binary(), st.binary())
def test_strong_etag_tells_bytes_apart(a, b):
    assert (strong_etag(a) == strong_etag(b)) == (a == b)


def test_strong_etag_of_rich_values_uses_their_text():
    import uuid
    from datetime import date

    ref = uuid.uuid4()
    assert strong_etag({"id": ref, "on": date(2025, 1, 1)}) == strong_etag({"id": str(ref), "on": "2025-01-01"})


# --- the helpers on their own ---------------------------------------------------------------

TAG = strong_etag({"a": 1})
OTHER = strong_etag({"a": 2})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        (TAG, True),
        (f"W/{TAG}", True),  # If-None-Match uses the weak comparison
        (f"{OTHER}, {TAG}", True),
        (f"{OTHER},{TAG}", True),
        ("*", True),
        (OTHER, False),
        (TAG.strip('"'), False),  # an unquoted tag is not the same tag
    ],
)
def test_not_modified(header, expected):
    request = request_with(if_none_match=header) if header is not None else request_with()
    assert not_modified(request, TAG) is expected


@pytest.mark.parametrize("header", [TAG, "*", f"{OTHER}, {TAG}"])
def test_if_match_that_matches_passes(header):
    check_if_match(request_with(if_match=header), TAG, required=True)


@pytest.mark.parametrize("header", [OTHER, f"W/{TAG}", "", TAG.strip('"')])
def test_if_match_mismatch_is_412_naming_the_current_etag(header):
    """If-Match uses the strong comparison: a weak tag never matches."""
    with pytest.raises(ProblemError) as refused:
        check_if_match(request_with(if_match=header), TAG)
    assert refused.value.status == 412
    assert refused.value.slug == "precondition-failed"
    assert refused.value.extensions == {"current_etag": TAG}


def test_if_match_missing_is_428_only_when_required():
    check_if_match(request_with(), TAG)
    with pytest.raises(ProblemError) as refused:
        check_if_match(request_with(), TAG, required=True)
    assert refused.value.status == 428
    assert refused.value.slug == "precondition-required"


# --- over HTTP -----------------------------------------------------------------------------


def test_read_has_a_strong_etag_and_if_none_match_gives_304(sk_client, reader, make_thing):
    thing = make_thing()
    first = sk_client.get(f"/things/{thing['id']}", headers=reader)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert STRONG.match(etag)
    assert etag == strong_etag(first.json())

    cached = sk_client.get(f"/things/{thing['id']}", headers={**reader, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag

    stale = sk_client.get(f"/things/{thing['id']}", headers={**reader, "If-None-Match": OTHER})
    assert stale.status_code == 200


def test_create_returns_the_etag_of_the_representation(sk_client, reader, writer):
    created = sk_client.post("/things", json={"name": "etag", "size": 1}, headers=writer)
    read = sk_client.get(created.headers["location"], headers=reader)
    assert created.headers["etag"] == read.headers["etag"]


def test_edit_without_if_match_is_428(sk_client, writer, make_thing, count):
    thing = make_thing()
    response = sk_client.patch(f"/things/{thing['id']}", json={"size": 9}, headers=writer)
    assert response.status_code == 428
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"] == problem_type("precondition-required")


def test_edit_with_stale_if_match_is_412_and_changes_nothing(sk_client, reader, writer, make_thing):
    thing = make_thing(size=1)
    etag = sk_client.get(f"/things/{thing['id']}", headers=reader).headers["etag"]
    changed = sk_client.patch(f"/things/{thing['id']}", json={"size": 2}, headers={**writer, "If-Match": etag})
    assert changed.status_code == 200
    new_etag = changed.headers["etag"]
    assert new_etag != etag

    stale = sk_client.patch(f"/things/{thing['id']}", json={"size": 3}, headers={**writer, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["type"] == problem_type("precondition-failed")
    assert stale.json()["current_etag"] == new_etag
    current = sk_client.get(f"/things/{thing['id']}", headers=reader)
    assert current.json()["size"] == 2
    assert current.headers["etag"] == new_etag


def test_edit_with_if_match_star_passes(sk_client, writer, make_thing):
    thing = make_thing()
    response = sk_client.patch(f"/things/{thing['id']}", json={"name": "starred"}, headers={**writer, "If-Match": "*"})
    assert response.status_code == 200
    assert response.json()["name"] == "starred"

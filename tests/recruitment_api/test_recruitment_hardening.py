"""Input that used to get the wrong answer: cursors the service did not issue, CSV imports with
no rows or too many cells, the id mapping of a bulk import, and NUL characters."""

from __future__ import annotations

import base64
import json

import pytest
from recruitment_support import admin_headers, assessor_headers, create_vacancy

ORG = "HARDEN"


def unsigned(position) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def vacancy(client, keys):
    made = create_vacancy(client, keys, org=ORG)
    people = [{"name": f"Person {i}", "external_ref": f"H{i}"} for i in range(3)]
    imported = client.post(
        f"/vacancies/{made['id']}/candidates/import", json={"candidates": people}, headers=admin_headers(keys, ORG)
    )
    assert imported.status_code == 201, imported.text
    return made


# --- cursors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        unsigned({"after": 10**30}),  # was a 500 on SQLite, unstorable-value on PostgreSQL
        unsigned({"after": 2**63}),
        unsigned({"after": -5}),  # was accepted
        unsigned({"after": 1}),  # well-formed, but not one the service issued
        unsigned({"after": 1}) + ".AAAAAAAAAAAAAAAAAAAAAA",
        "not a cursor",
    ],
)
def test_a_cursor_the_service_did_not_issue_is_422_invalid_cursor(client, keys, vacancy, cursor):
    headers = admin_headers(keys, ORG)
    for path in (f"/vacancies/{vacancy['id']}/candidates", "/vacancies"):
        response = client.get(path, params={"cursor": cursor, "limit": 1}, headers=headers)
        assert response.status_code == 422, (path, response.text)
        body = response.json()
        assert body["type"].endswith("/invalid-cursor")
        assert body["errors"][0]["field"] == "query.cursor"


def test_issued_cursors_walk_the_list_and_only_that_list(client, keys, vacancy):
    headers = admin_headers(keys, ORG)
    path = f"/vacancies/{vacancy['id']}/candidates"
    first = client.get(path, params={"limit": 2}, headers=headers).json()
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(first["next"], headers=headers)
    assert second.status_code == 200 and len(second.json()["items"]) == 1
    # The same cursor on another vacancy's list is not one that list issued.
    other = create_vacancy(client, keys, org=ORG)
    cursor = first["next"].split("cursor=")[1]
    moved = client.get(f"/vacancies/{other['id']}/candidates", params={"cursor": cursor}, headers=headers)
    assert moved.status_code == 422 and moved.json()["type"].endswith("/invalid-cursor")


def test_an_assessor_gets_the_same_422_for_a_made_up_cursor(client, keys, vacancy):
    response = client.get(
        f"/vacancies/{vacancy['id']}/candidates",
        params={"cursor": unsigned({"after": -5})},
        headers=assessor_headers(keys, "someone", ORG),
    )
    assert response.status_code == 422

"""Input that used to get the wrong answer in framework-api: cursors it did not issue, CSV rows
with more cells than the header, NUL characters."""

from __future__ import annotations

import base64
import json

import pytest


def unsigned(position) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "position",
    [{"code": "V1"}, {"code": "x" * 300}, {"title": "A", "uid": "00000000-0000-0000-0000-000000000000"}],
)
def test_a_cursor_the_service_did_not_issue_is_422(client, keys, seeded, position):
    _, version = seeded
    headers = keys.headers("framework:read")
    for path in (f"/versions/{version['id']}/items", "/frameworks"):
        response = client.get(path, params={"cursor": unsigned(position)}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith("/invalid-cursor")


def test_issued_cursors_page_through_the_items(client, keys, seeded):
    _, version = seeded
    headers = keys.headers("framework:read")
    seen, url = [], f"/versions/{version['id']}/items?limit=7"
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200, page.text
        seen += [item["code"] for item in page.json()["items"]]
        url = page.json()["next"]
    assert len(seen) == len(set(seen)) > 7


# --- NUL characters: refused alike on SQLite and PostgreSQL ----------------------------------


def test_a_nul_in_a_framework_write_is_refused_naming_the_field(client, keys):
    headers = keys.headers("framework:read", "framework:write", org="NULORG")
    response = client.post("/frameworks", json={"title": "Local\x00values"}, headers=headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.title"]


def test_a_nul_in_a_csv_import_is_refused_naming_the_line(client, keys):
    headers = keys.headers("framework:read", "framework:write", org="NULORG")
    made = client.post("/frameworks", json={"title": "NUL test", "version": "0.1.0"}, headers=headers)
    assert made.status_code == 201, made.text
    draft = made.json()["versions"][0]
    csv_text = (
        "identifier,code,type,statement,description,audience,parent_code,sequence,source\n,V1,value,Kind\x00ness,,,,,\n"
    )
    response = client.post(
        f"/versions/{draft['id']}/csv",
        content=csv_text.encode(),
        headers={**headers, "Content-Type": "text/csv", "If-Match": "*"},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["row"]) == ("body", 2)


def test_a_nul_in_a_search_is_refused(client, keys, seeded):
    _, version = seeded
    response = client.get(
        f"/versions/{version['id']}/items", params={"q": "a\x00"}, headers=keys.headers("framework:read")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.q"]

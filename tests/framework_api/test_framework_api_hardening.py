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

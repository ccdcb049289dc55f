"""If-Match on framework-api: every write to a draft needs the draft's current ETag (428 without,
412 when stale) and changes nothing when refused; creating a framework or a version needs none."""

from __future__ import annotations

import uuid

import pytest
from framework_support import with_etag

READ = "framework:read"
WRITE = "framework:write"
LEVEL = "essential"


@pytest.fixture(scope="module")
def draft(client, keys):
    """A draft of a new framework with a value V1, its behaviour B1, a related value V2 and a
    descriptor; returns the ids the writes below need."""
    h = keys.headers(READ, WRITE, org="WHSCT", subject="if-match")
    created = client.post("/frameworks", json={"title": f"If-Match {uuid.uuid4().hex[:6]}"}, headers=h)
    assert created.status_code == 201, created.text  # a create needs no If-Match
    vid = created.json()["versions"][0]["id"]

    def add(**fields):
        response = client.post(f"/versions/{vid}/items", json=fields, headers=with_etag(client, vid, h))
        assert response.status_code == 201, response.text
        return response.json()["identifier"]

    v1 = add(code="V1", type="value", statement="Kindness")
    b1 = add(code="B1", type="behaviour", statement="Notices", parent=v1)
    v2 = add(code="V2", type="value", statement="Courage")
    put = client.put(
        f"/versions/{vid}/items/{v1}/descriptors/{LEVEL}",
        json={"description": "Sometimes"},
        headers=with_etag(client, vid, h),
    )
    assert put.status_code == 200, put.text
    link = client.post(
        f"/versions/{vid}/associations",
        json={"type": "is_related_to", "origin": v1, "destination": v2},
        headers=with_etag(client, vid, h),
    )
    assert link.status_code == 201, link.text
    return {"vid": vid, "v1": v1, "b1": b1, "v2": v2, "link": link.json()["id"], "headers": h}


def draft_writes(d):
    """(method, path, keyword arguments) of every operation that writes to the draft."""
    vid, v1, b1 = d["vid"], d["v1"], d["b1"]
    scale = {
        "title": "Two levels",
        "levels": [
            {"code": "low", "position": 1, "title": "Low"},
            {"code": "high", "position": 2, "title": "High", "proficient_threshold": True},
        ],
    }
    return [
        ("POST", f"/versions/{vid}/items", {"json": {"code": "V3", "type": "value", "statement": "Hope"}}),
        ("PATCH", f"/versions/{vid}/items/{b1}", {"json": {"statement": "Notices early"}}),
        ("DELETE", f"/versions/{vid}/items/{b1}", {}),
        ("PUT", f"/versions/{vid}/items/{v1}/descriptors/{LEVEL}", {"json": {"description": "Often"}}),
        ("DELETE", f"/versions/{vid}/items/{v1}/descriptors/{LEVEL}", {}),
        (
            "POST",
            f"/versions/{vid}/associations",
            {"json": {"type": "exact_match_of", "origin": v1, "destination": d["v2"]}},
        ),
        ("DELETE", f"/versions/{vid}/associations/{d['link']}", {}),
        ("PUT", f"/versions/{vid}/scale", {"json": scale}),
        (
            "POST",
            f"/versions/{vid}/csv",
            {"content": b"code,type,statement\nV9,value,Hope\n", "headers": {"Content-Type": "text/csv"}},
        ),
        ("POST", f"/versions/{vid}/publish", {"json": {"change_note": "First."}}),
        ("DELETE", f"/versions/{vid}", {}),
    ]


def send(client, method, path, headers, kwargs):
    extra = kwargs.get("headers", {})
    rest = {k: v for k, v in kwargs.items() if k != "headers"}
    return client.request(method, path, headers={**headers, **extra}, **rest)


def test_a_draft_write_without_if_match_is_428_and_changes_nothing(client, keys, draft):
    h = draft["headers"]
    before = client.get(f"/versions/{draft['vid']}/tree", headers=h).json()
    etag = client.get(f"/versions/{draft['vid']}", headers=h).headers["etag"]
    for method, path, kwargs in draft_writes(draft):
        response = send(client, method, path, h, kwargs)
        assert response.status_code == 428, (method, path, response.text)
        problem = response.json()
        assert problem["type"].endswith("/precondition-required"), (method, path)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/versions/{draft['vid']}", headers=h).headers["etag"] == etag
    assert client.get(f"/versions/{draft['vid']}/tree", headers=h).json() == before


def test_a_draft_write_with_a_stale_etag_is_412_naming_the_current_one(client, keys, draft):
    h = draft["headers"]
    current = client.get(f"/versions/{draft['vid']}", headers=h).headers["etag"]
    for method, path, kwargs in draft_writes(draft):
        response = send(client, method, path, {**h, "If-Match": '"stale"'}, kwargs)
        assert response.status_code == 412, (method, path, response.text)
        assert response.json()["type"].endswith("/precondition-failed")
        assert response.json()["current_etag"] == current
    assert client.get(f"/versions/{draft['vid']}", headers=h).headers["etag"] == current


def test_the_openapi_documents_428_and_412_on_every_draft_write(client, draft):
    paths = client.get("/openapi.json").json()["paths"]
    for method, path, _ in draft_writes(draft):
        template = _template(path, draft)
        responses = paths[template][method.lower()]["responses"]
        assert {"412", "428"} <= set(responses), (method, template)


def _template(path: str, d) -> str:
    names = {d["vid"]: "{version_id}", d["v1"]: "{identifier}", d["b1"]: "{identifier}", d["link"]: "{association_id}"}
    parts = [names.get(part, part) for part in path.split("/")]
    if parts[-2] == "descriptors":
        parts[-1] = "{level}"
    return "/".join(parts)


def test_creates_and_deprecation_need_no_if_match(client, keys, seeded):
    framework, version = seeded
    bso = keys.headers(READ, WRITE, org="BSO")
    created = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "7.0.0"}, headers=bso)
    if created.status_code == 409:  # another module's draft of the seeded framework
        assert created.json()["type"].endswith("/draft-exists")
    else:
        assert created.status_code == 201, created.text
        assert "etag" in created.headers  # the ETag to send with the first write
        discard = client.delete(
            f"/versions/{created.json()['id']}", headers=with_etag(client, created.json()["id"], bso)
        )
        assert discard.status_code == 204
    own = keys.headers(READ, WRITE, org="WHSCT")
    fw = client.post("/frameworks", json={"title": f"No If-Match {uuid.uuid4().hex[:6]}"}, headers=own)
    assert fw.status_code == 201

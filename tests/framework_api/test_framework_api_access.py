"""Who may read and write what: tokens, scopes, organisations; idempotency, limits, search."""

from __future__ import annotations

import time
import uuid

import pytest

from servicekit.keys import issue_token
from support import Keys

READ = "framework:read"
WRITE = "framework:write"


def test_the_seeded_framework_is_published_and_complete(client, keys, seeded):
    framework, version = seeded
    assert framework["owner_org"] == "BSO" and version["version"] == "1.0.0" and version["status"] == "published"
    tree = client.get(f"/versions/{version['id']}/tree", headers=keys.headers(READ)).json()
    roots = [(node["type"], node["code"]) for node in tree["items"]]
    assert [c for t, c in roots if t == "component"] == ["C1", "C2", "C3", "C4"]
    assert [c for t, c in roots if t == "value"] == ["V1", "V2", "V3", "V4"]
    assert len([c for t, c in roots if t == "cultural_characteristic"]) == 6

    def walk(nodes):
        for node in nodes:
            yield node
            yield from walk(node["children"])

    everything = list(walk(tree["items"]))
    by_type = {}
    for node in everything:
        by_type.setdefault(node["type"], []).append(node)
        assert node["source"], f"{node['code']} names no part of the strategy"
    assert len(by_type["system_commitment"]) == 7
    assert len(by_type["compassionate_behaviour"]) == 4
    assert len(by_type["community_characteristic"]) == 5
    assert {n["audience"] for n in by_type["capability"]} == {"all_staff", "team_leaders", "senior_system_leaders"}
    check = client.get(f"/versions/{version['id']}/publication-check", headers=keys.headers(READ)).json()
    assert check == {"publishable": True, "problems": []}


@pytest.mark.parametrize(
    "headers, detail",
    [
        ({}, "bearer token is required"),
        ({"Authorization": "Bearer not-a-jwt"}, "not a well-formed JWT"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "bearer token is required"),
    ],
)
def test_missing_or_malformed_token_is_401(client, seeded, headers, detail):
    response = client.get("/frameworks", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert detail in response.json()["detail"]


def test_expired_token_is_401(client, keys):
    token = keys.token([READ], ttl_seconds=60, now=time.time() - 3600)
    response = client.get("/frameworks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_token_signed_by_another_key_is_401(client, tmp_path):
    stranger = Keys(tmp_path / "other-keys")
    response = client.get("/frameworks", headers=stranger.headers(READ))
    assert response.status_code == 401 and "signature" in response.json()["detail"]


def test_token_without_org_is_401(client, keys):
    import jwt

    claims = {"iss": "collective-local", "aud": "collective", "sub": "x", "scope": READ, "exp": int(time.time()) + 60}
    token = jwt.encode(claims, keys.private_pem, algorithm="EdDSA")
    response = client.get("/frameworks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "org" in response.json()["detail"]


def test_wrong_audience_is_401(client, keys):
    token = issue_token(keys.private_pem, subject="x", org="BHSCT", scopes=[READ], audience="someone-else")
    assert client.get("/frameworks", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_wrong_scope_is_403(client, keys, seeded):
    _, version = seeded
    response = client.get("/frameworks", headers=keys.headers("recruitment:read"))
    assert response.status_code == 403
    assert response.json()["type"].endswith("/insufficient-scope")
    assert "framework:read" in response.json()["detail"]
    write = client.post("/frameworks", json={"title": "x"}, headers=keys.headers(READ))
    assert write.status_code == 403 and "framework:write" in write.json()["detail"]


def test_drafts_are_invisible_to_other_organisations(client, keys):
    mine = keys.headers(READ, WRITE, org="WHSCT")
    theirs = keys.headers(READ, WRITE, org="NHSCT")
    created = client.post("/frameworks", json={"title": "Western draft"}, headers=mine).json()
    draft_id = created["versions"][0]["id"]
    assert client.get(f"/frameworks/{created['id']}", headers=theirs).status_code == 404
    assert client.get(f"/versions/{draft_id}", headers=theirs).status_code == 404
    assert client.get(f"/versions/{draft_id}/tree", headers=theirs).status_code == 404
    assert client.get(f"/versions/{draft_id}/csv", headers=theirs).status_code == 404
    assert (
        client.post(
            f"/versions/{draft_id}/items", json={"code": "X", "type": "value", "statement": "x"}, headers=theirs
        ).status_code
        == 404
    )
    listed = client.get("/frameworks", params={"limit": 500}, headers=theirs).json()["items"]
    assert created["id"] not in {f["id"] for f in listed}
    assert created["id"] in {
        f["id"] for f in client.get("/frameworks", params={"limit": 500}, headers=mine).json()["items"]
    }


def test_published_framework_is_shared_but_only_its_owner_writes(client, keys, seeded):
    framework, _ = seeded
    other = keys.headers(READ, WRITE, org="BHSCT")
    assert client.get(f"/frameworks/{framework['id']}", headers=other).status_code == 200
    refused = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "9.0.0"}, headers=other)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/not-framework-owner")


def test_unknown_ids_are_404_problems(client, keys, seeded):
    _, version = seeded
    h = keys.headers(READ)
    for path in (
        f"/frameworks/{uuid.uuid4()}",
        f"/versions/{uuid.uuid4()}",
        f"/versions/{uuid.uuid4()}/tree",
        f"/versions/{version['id']}/items/{uuid.uuid4()}",
        f"/versions/{uuid.uuid4()}/diff?from={version['id']}",
    ):
        response = client.get(path, headers=h)
        assert response.status_code == 404, path
        assert response.json()["type"].endswith("/not-found")
    malformed = client.get("/versions/not-a-uuid", headers=h)
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "path.version_id"


def test_idempotency_key_replays_and_refuses_another_body(client, keys):
    h = {**keys.headers(READ, WRITE, org="PHA"), "Idempotency-Key": "create-phA-1"}
    first = client.post("/frameworks", json={"title": "Public health framework"}, headers=h)
    again = client.post("/frameworks", json={"title": "Public health framework"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    listed = client.get("/frameworks", params={"limit": 500}, headers=h).json()["items"]
    assert sum(f["title"] == "Public health framework" for f in listed) == 1
    other = client.post("/frameworks", json={"title": "Something else"}, headers=h)
    assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")


def test_body_over_the_limit_is_413(client, keys):
    huge = {"title": "x" * 200, "description": "y" * 2_000_000}
    response = client.post("/frameworks", json=huge, headers=keys.headers(READ, WRITE))
    assert response.status_code == 413
    assert response.json()["type"].endswith("/content-too-large")


def test_search_by_text_type_and_audience_with_cursor_pages(client, keys, seeded):
    _, version = seeded
    h = keys.headers(READ)
    url = f"/versions/{version['id']}/items"
    found = client.get(url, params={"q": "COMPASSION"}, headers=h).json()["items"]
    assert found and all("compassion" in (i["statement"] + (i["description"] or "") + i["code"]).lower() for i in found)
    capabilities = client.get(
        url, params={"type": "capability", "audience": "team_leaders", "limit": 500}, headers=h
    ).json()
    assert capabilities["items"] and {(i["type"], i["audience"]) for i in capabilities["items"]} == {
        ("capability", "team_leaders")
    }
    assert all(i["parent"] for i in capabilities["items"])

    seen, page = [], client.get(url, params={"limit": 7}, headers=h).json()
    while True:
        seen += [i["code"] for i in page["items"]]
        if not page["next"]:
            break
        page = client.get(page["next"], headers=h).json()
    everything = client.get(url, params={"limit": 500}, headers=h).json()["items"]
    assert seen == [i["code"] for i in everything] and len(seen) == len(set(seen)) > 7

    bad_cursor = client.get(url, params={"cursor": "%%%"}, headers=h)
    assert bad_cursor.status_code == 422 and bad_cursor.json()["errors"][0]["field"] == "query.cursor"
    bad_limit = client.get(url, params={"limit": 0}, headers=h)
    assert bad_limit.status_code == 422 and bad_limit.json()["errors"][0]["field"] == "query.limit"


def test_item_page_has_descriptors_at_every_level_and_links(client, keys, seeded):
    _, version = seeded
    h = keys.headers(READ)
    value = client.get(
        f"/versions/{version['id']}/items", params={"type": "value", "q": "compassion"}, headers=h
    ).json()["items"][0]
    detail = client.get(f"/versions/{version['id']}/items/{value['identifier']}", headers=h).json()
    assert [d["level"] for d in detail["descriptors"]] == ["essential", "proficient", "strong", "exemplary"]
    assert [d["level"] for d in detail["descriptors"] if d["proficient_threshold"]] == ["proficient"]
    assert all(c["type"] == "behaviour" for c in detail["children"]) and detail["children"]
    assert detail["associations"], "values are linked to the cultural characteristic of modelling them"


def test_text_postgresql_cannot_store_is_a_422_on_every_database_and_nothing_is_written(client, keys):
    # PostgreSQL cannot store NUL and SQLite can: the request edge refuses it on both, naming the field.
    h = keys.headers(READ, WRITE, org="DOH")
    response = client.post("/frameworks", json={"title": "Nul\u0000title"}, headers=h)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.title"]
    titles = [f["title"] for f in client.get("/frameworks", params={"limit": 500}, headers=h).json()["items"]]
    assert "Nul\u0000title" not in titles

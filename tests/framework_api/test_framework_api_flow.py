"""The framework lifecycle through the API: draft, edit, check, publish, copy, diff, deprecate."""

from __future__ import annotations

import uuid

from framework_support import with_etag
from sqlmodel import Session, select

from servicekit.audit import AuditRecord

READ = "framework:read"
WRITE = "framework:write"


def editor(keys, org="SHSCT"):
    return keys.headers(READ, WRITE, org=org, subject=f"editor-{org}")


def new_framework(client, keys, org="SHSCT", title=None):
    body = {"title": title or f"Local framework {uuid.uuid4().hex[:6]}", "publisher": "Southern HSC Trust"}
    response = client.post("/frameworks", json=body, headers=editor(keys, org))
    assert response.status_code == 201, response.text
    framework = response.json()
    draft = framework["versions"][0]
    assert draft["status"] == "draft" and draft["version"] == "0.1.0"
    return framework, draft


def add_item(client, keys, version_id, org="SHSCT", **fields):
    response = client.post(
        f"/versions/{version_id}/items", json=fields, headers=with_etag(client, version_id, editor(keys, org))
    )
    assert response.status_code == 201, response.text
    return response.json()


def describe_all_levels(client, keys, version_id, identifier, org="SHSCT", prefix="Shows it"):
    for level in ("essential", "proficient", "strong", "exemplary"):
        response = client.put(
            f"/versions/{version_id}/items/{identifier}/descriptors/{level}",
            json={"description": f"{prefix} at {level}."},
            headers=with_etag(client, version_id, editor(keys, org)),
        )
        assert response.status_code == 200, response.text


def publishable_framework(client, keys, org="SHSCT"):
    framework, draft = new_framework(client, keys, org)
    value = add_item(client, keys, draft["id"], org, code="V1", type="value", statement="Kindness")
    behaviour = add_item(
        client,
        keys,
        draft["id"],
        org,
        code="V1.B.1",
        type="behaviour",
        statement="I notice when colleagues need help",
        parent=value["identifier"],
    )
    describe_all_levels(client, keys, draft["id"], value["identifier"], org)
    return framework, draft, value, behaviour


def test_new_framework_starts_as_a_draft_with_the_four_level_scale(client, keys):
    framework, draft = new_framework(client, keys)
    version = client.get(f"/versions/{draft['id']}", headers=editor(keys)).json()
    levels = version["scale"]["levels"]
    assert [lv["code"] for lv in levels] == ["essential", "proficient", "strong", "exemplary"]
    assert [lv["code"] for lv in levels if lv["proficient_threshold"]] == ["proficient"]
    assert framework["owner_org"] == "SHSCT"
    assert framework["latest_published"] is None


def test_publication_check_lists_every_reason_and_publish_refuses(client, keys):
    _, draft = new_framework(client, keys)
    value = add_item(client, keys, draft["id"], code="V1", type="value", statement="Kindness")
    add_item(client, keys, draft["id"], code="B1", type="behaviour", statement="An orphan behaviour")
    check = client.get(f"/versions/{draft['id']}/publication-check", headers=editor(keys)).json()
    assert check["publishable"] is False
    codes = sorted({p["code"] for p in check["problems"]})
    assert codes == ["missing-change-note", "missing-descriptor", "orphaned-item"]
    missing_levels = {p["level"] for p in check["problems"] if p["code"] == "missing-descriptor"}
    assert missing_levels == {"essential", "proficient", "strong", "exemplary"}
    assert all(p["item"] == value["identifier"] for p in check["problems"] if p["code"] == "missing-descriptor")

    refused = client.post(
        f"/versions/{draft['id']}/publish", json={}, headers=with_etag(client, draft["id"], editor(keys))
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/publication-refused")
    assert len(refused.json()["problems"]) == len(check["problems"])
    assert client.get(f"/versions/{draft['id']}", headers=editor(keys)).json()["status"] == "draft"


def test_publish_then_the_version_never_changes(client, keys):
    framework, draft, value, behaviour = publishable_framework(client, keys)
    published = client.post(
        f"/versions/{draft['id']}/publish",
        json={"change_note": "First publication."},
        headers=with_etag(client, draft["id"], editor(keys)),
    )
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["status"] == "published" and body["published_at"] and len(body["content_hash"]) == 64

    vid = draft["id"]
    attempts = [
        client.post(
            f"/versions/{vid}/items", json={"code": "X", "type": "value", "statement": "x"}, headers=editor(keys)
        ),
        client.patch(
            f"/versions/{vid}/items/{value['identifier']}", json={"statement": "Changed"}, headers=editor(keys)
        ),
        client.delete(f"/versions/{vid}/items/{behaviour['identifier']}", headers=editor(keys)),
        client.put(
            f"/versions/{vid}/items/{value['identifier']}/descriptors/strong",
            json={"description": "x"},
            headers=editor(keys),
        ),
        client.post(f"/versions/{vid}/publish", json={"change_note": "again"}, headers=editor(keys)),
        client.put(
            f"/versions/{vid}/scale",
            json={
                "title": "t",
                "levels": [
                    {"code": "a", "position": 1, "title": "A", "proficient_threshold": True},
                    {"code": "b", "position": 2, "title": "B"},
                ],
            },
            headers=editor(keys),
        ),
        client.post(
            f"/versions/{vid}/csv", content="identifier,code\n", headers={**editor(keys), "Content-Type": "text/csv"}
        ),
    ]
    for response in attempts:
        assert response.status_code == 409, (response.request.method, response.request.url, response.text)
        assert response.json()["type"].endswith("/version-immutable")
    item = client.get(f"/versions/{vid}/items/{value['identifier']}", headers=editor(keys)).json()
    assert item["statement"] == "Kindness"


def test_published_version_has_a_strong_etag_immutable_caching_and_304(client, keys, seeded):
    _, version = seeded
    headers = keys.headers(READ)
    for path in ("", "/tree", "/case"):
        first = client.get(f"/versions/{version['id']}{path}", headers=headers)
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert "immutable" in first.headers["cache-control"]
        again = client.get(f"/versions/{version['id']}{path}", headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""


def test_new_version_copies_the_latest_published_and_diff_reports_changes(client, keys):
    framework, draft, value, behaviour = publishable_framework(client, keys)
    client.post(
        f"/versions/{draft['id']}/publish",
        json={"change_note": "First."},
        headers=with_etag(client, draft["id"], editor(keys)),
    )

    created = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "0.2.0"}, headers=editor(keys))
    assert created.status_code == 201, created.text
    new = created.json()
    assert new["supersedes_id"] == draft["id"] and new["status"] == "draft"
    assert new["item_count"] == 2

    nid = new["id"]
    client.patch(
        f"/versions/{nid}/items/{value['identifier']}",
        json={"statement": "Kindness and care"},
        headers=with_etag(client, nid, editor(keys)),
    )
    other = add_item(client, keys, nid, code="V2", type="value", statement="Courage")
    describe_all_levels(client, keys, nid, other["identifier"])
    moved = client.patch(
        f"/versions/{nid}/items/{behaviour['identifier']}",
        json={"parent": other["identifier"]},
        headers=with_etag(client, nid, editor(keys)),
    )
    assert moved.status_code == 200 and moved.json()["parent"] == other["identifier"]
    client.put(
        f"/versions/{nid}/items/{value['identifier']}/descriptors/strong",
        json={"description": "Rewritten strong."},
        headers=with_etag(client, nid, editor(keys)),
    )

    diff = client.get(f"/versions/{nid}/diff", params={"from": draft["id"]}, headers=editor(keys))
    assert diff.status_code == 200, diff.text
    d = diff.json()
    assert d["from"]["id"] == draft["id"] and d["to"]["id"] == nid
    assert [a["code"] for a in d["added"]] == ["V2"]
    assert d["removed"] == []
    assert [(r["item"]["code"], [c["field"] for c in r["changes"]]) for r in d["reworded"]] == [("V1", ["statement"])]
    assert [(mv["item"]["code"], mv["from_parent"]["code"], mv["to_parent"]["code"]) for mv in d["moved"]] == [
        ("V1.B.1", "V1", "V2")
    ]
    changed = [(c["item"]["code"], c["level"], c["before"] is None) for c in d["descriptors"]]
    # The kept item's rewritten level, then the added item's new descriptors (no "before").
    assert changed[0] == ("V1", "strong", False)
    assert changed[1:] == [("V2", level, True) for level in ("essential", "proficient", "strong", "exemplary")]

    published = client.post(
        f"/versions/{nid}/publish", json={"change_note": "Adds courage."}, headers=with_etag(client, nid, editor(keys))
    )
    assert published.status_code == 200, published.text
    after = client.get(f"/frameworks/{framework['id']}", headers=editor(keys)).json()
    assert after["latest_published"]["version"] == "0.2.0"
    assert [v["version"] for v in after["versions"]] == ["0.1.0", "0.2.0"]

    deprecated = client.post(f"/versions/{draft['id']}/deprecate", headers=editor(keys))
    assert deprecated.status_code == 200 and deprecated.json()["status"] == "deprecated"
    # Deprecated versions stay readable forever.
    assert client.get(f"/versions/{draft['id']}/tree", headers=keys.headers(READ, org="WHSCT")).status_code == 200


def test_version_refusals(client, keys):
    framework, draft = new_framework(client, keys)
    # Only published versions can be deprecated.
    deprecate = client.post(f"/versions/{draft['id']}/deprecate", headers=editor(keys))
    assert deprecate.status_code == 409 and deprecate.json()["type"].endswith("/not-published")
    # A discarded draft is gone; with no published version there is nothing to copy from.
    assert (
        client.delete(f"/versions/{draft['id']}", headers=with_etag(client, draft["id"], editor(keys))).status_code
        == 204
    )
    assert client.get(f"/versions/{draft['id']}", headers=editor(keys)).status_code == 404
    first = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "0.2.0"}, headers=editor(keys))
    assert first.status_code == 409 and first.json()["type"].endswith("/no-published-version")


def test_only_one_draft_and_version_numbers_increase(client, keys):
    framework, draft, *_ = publishable_framework(client, keys)
    client.post(
        f"/versions/{draft['id']}/publish",
        json={"change_note": "First."},
        headers=with_etag(client, draft["id"], editor(keys)),
    )
    lower = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "0.1.0"}, headers=editor(keys))
    assert lower.status_code == 422
    assert lower.json()["errors"][0]["field"] == "body.version"
    ok = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "1.0.0"}, headers=editor(keys))
    assert ok.status_code == 201
    twice = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "2.0.0"}, headers=editor(keys))
    assert twice.status_code == 409 and twice.json()["type"].endswith("/draft-exists")


def test_item_editing_refusals_name_the_problem(client, keys):
    _, draft = new_framework(client, keys)
    vid = draft["id"]
    parent = add_item(client, keys, vid, code="C1", type="component", statement="A component")
    child = add_item(client, keys, vid, code="C1.1", type="capability", statement="Cap", parent=parent["identifier"])

    duplicate = client.post(
        f"/versions/{vid}/items",
        json={"code": "C1", "type": "component", "statement": "again"},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert duplicate.status_code == 409 and duplicate.json()["type"].endswith("/duplicate-code")

    unknown_parent = client.post(
        f"/versions/{vid}/items",
        json={"code": "C9", "type": "capability", "statement": "x", "parent": str(uuid.uuid4())},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert unknown_parent.status_code == 422 and unknown_parent.json()["errors"][0]["field"] == "body.parent"

    cycle = client.patch(
        f"/versions/{vid}/items/{parent['identifier']}",
        json={"parent": child["identifier"]},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert cycle.status_code == 422 and cycle.json()["type"].endswith("/cycle")

    has_children = client.delete(
        f"/versions/{vid}/items/{parent['identifier']}", headers=with_etag(client, vid, editor(keys))
    )
    assert has_children.status_code == 409 and has_children.json()["type"].endswith("/item-has-children")

    bad_level = client.put(
        f"/versions/{vid}/items/{child['identifier']}/descriptors/superb",
        json={"description": "x"},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert bad_level.status_code == 404

    missing = client.post(
        f"/versions/{vid}/items", json={"code": "C2", "type": "component"}, headers=with_etag(client, vid, editor(keys))
    )
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["body.statement"]

    bad_type = client.post(
        f"/versions/{vid}/items",
        json={"code": "C2", "type": "vibe", "statement": "x"},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "body.type"

    null_statement = client.patch(
        f"/versions/{vid}/items/{child['identifier']}",
        json={"statement": None},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert null_statement.status_code == 422 and null_statement.json()["errors"][0]["field"] == "body.statement"

    # Deleting a leaf removes it with its links.
    gone = client.delete(f"/versions/{vid}/items/{child['identifier']}", headers=with_etag(client, vid, editor(keys)))
    assert gone.status_code == 204
    assert client.get(f"/versions/{vid}/items/{child['identifier']}", headers=editor(keys)).status_code == 404


def test_associations_link_items_and_show_on_both_ends(client, keys):
    _, draft = new_framework(client, keys)
    vid = draft["id"]
    a = add_item(client, keys, vid, code="V1", type="value", statement="Kindness")
    b = add_item(client, keys, vid, code="CC1", type="cultural_characteristic", statement="Culture")
    made = client.post(
        f"/versions/{vid}/associations",
        json={"type": "is_related_to", "origin": a["identifier"], "destination": b["identifier"]},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert made.status_code == 201, made.text
    again = client.post(
        f"/versions/{vid}/associations",
        json={"type": "is_related_to", "origin": a["identifier"], "destination": b["identifier"]},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert again.status_code == 409
    child_link = client.post(
        f"/versions/{vid}/associations",
        json={"type": "is_child_of", "origin": a["identifier"], "destination": b["identifier"]},
        headers=with_etag(client, vid, editor(keys)),
    )
    assert child_link.status_code == 422 and child_link.json()["errors"][0]["field"] == "body.type"
    incoming = client.get(f"/versions/{vid}/items/{b['identifier']}", headers=editor(keys)).json()["associations"]
    assert [(x["direction"], x["other"]["code"]) for x in incoming] == [("incoming", "V1")]
    removed = client.delete(
        f"/versions/{vid}/associations/{made.json()['id']}", headers=with_etag(client, vid, editor(keys))
    )
    assert removed.status_code == 204
    assert client.get(f"/versions/{vid}/items/{b['identifier']}", headers=editor(keys)).json()["associations"] == []


def test_if_match_guards_draft_edits(client, keys):
    _, draft = new_framework(client, keys)
    vid = draft["id"]
    etag = client.get(f"/versions/{vid}", headers=editor(keys)).headers["etag"]
    ok = client.post(
        f"/versions/{vid}/items",
        json={"code": "V1", "type": "value", "statement": "x"},
        headers={**editor(keys), "If-Match": etag},
    )
    assert ok.status_code == 201
    assert ok.headers["etag"] != etag
    stale = client.post(
        f"/versions/{vid}/items",
        json={"code": "V2", "type": "value", "statement": "y"},
        headers={**editor(keys), "If-Match": etag},
    )
    assert stale.status_code == 412
    assert stale.json()["type"].endswith("/precondition-failed")
    codes = [i["code"] for i in client.get(f"/versions/{vid}/items", headers=editor(keys)).json()["items"]]
    assert codes == ["V1"]


def test_scale_replacement_validates_and_drops_descriptors_of_removed_levels(client, keys):
    framework, draft, value, _ = publishable_framework(client, keys)
    vid = draft["id"]
    two_thresholds = client.put(
        f"/versions/{vid}/scale",
        json={
            "title": "Two",
            "levels": [
                {"code": "low", "position": 1, "title": "Low", "proficient_threshold": True},
                {"code": "high", "position": 2, "title": "High", "proficient_threshold": True},
            ],
        },
        headers=with_etag(client, vid, editor(keys)),
    )
    assert two_thresholds.status_code == 422 and two_thresholds.json()["errors"][0]["field"] == "body.levels"
    replaced = client.put(
        f"/versions/{vid}/scale",
        json={
            "title": "Three",
            "levels": [
                {"code": "essential", "position": 1, "title": "Essential"},
                {"code": "proficient", "position": 2, "title": "Proficient", "proficient_threshold": True},
                {"code": "expert", "position": 3, "title": "Expert"},
            ],
        },
        headers=with_etag(client, vid, editor(keys)),
    )
    assert replaced.status_code == 200, replaced.text
    descriptors = client.get(f"/versions/{vid}/items/{value['identifier']}", headers=editor(keys)).json()["descriptors"]
    assert [d["level"] for d in descriptors] == ["essential", "proficient"]
    problems = client.get(f"/versions/{vid}/publication-check", headers=editor(keys)).json()["problems"]
    assert {(p["code"], p["level"]) for p in problems} >= {("missing-descriptor", "expert")}


def test_every_write_appends_an_audit_record(client, keys, framework_app):
    framework, draft, value, _ = publishable_framework(client, keys, org="NIAS")
    with Session(framework_app.state.engine) as session:
        rows = session.exec(select(AuditRecord).where(AuditRecord.org == "NIAS")).all()
    actions = [r.action for r in rows]
    assert actions[0] == "framework.create"
    assert actions.count("item.create") == 2 and actions.count("descriptor.put") == 4
    assert all(r.actor == "editor-NIAS" for r in rows)
    created = next(r for r in rows if r.action == "item.create" and r.target_id == value["identifier"])
    assert created.after["statement"] == "Kindness" and created.before is None


def test_a_frameworks_versions_are_a_cursor_page_like_every_other_list(client, keys):
    framework, draft, *_ = publishable_framework(client, keys)
    fid = framework["id"]
    client.post(
        f"/versions/{draft['id']}/publish",
        json={"change_note": "First."},
        headers=with_etag(client, draft["id"], editor(keys)),
    )
    second = client.post(f"/frameworks/{fid}/versions", json={"version": "0.2.0"}, headers=editor(keys)).json()

    whole = client.get(f"/frameworks/{fid}/versions", headers=editor(keys))
    assert whole.status_code == 200, whole.text
    assert set(whole.json()) == {"items", "next"} and whole.json()["next"] is None
    assert [(v["version"], v["status"]) for v in whole.json()["items"]] == [("0.1.0", "published"), ("0.2.0", "draft")]

    first = client.get(f"/frameworks/{fid}/versions", params={"limit": 1}, headers=editor(keys)).json()
    assert [v["id"] for v in first["items"]] == [draft["id"]]
    rest = client.get(first["next"], headers=editor(keys)).json()
    assert [v["id"] for v in rest["items"]] == [second["id"]] and rest["next"] is None

    # Another organisation sees the published version only; a cursor is for this list only.
    theirs = client.get(f"/frameworks/{fid}/versions", headers=keys.headers(READ, org="WHSCT")).json()
    assert [v["version"] for v in theirs["items"]] == ["0.1.0"]
    cursor = first["next"].split("cursor=")[1]
    moved = client.get("/frameworks", params={"cursor": cursor}, headers=editor(keys))
    assert moved.status_code == 422 and moved.json()["type"].endswith("/invalid-cursor")
    bad = client.get(f"/frameworks/{fid}/versions", params={"cursor": "e30"}, headers=editor(keys))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"

"""CASE and CSV through the API: exports, the round trip, and refused imports that change nothing."""

from __future__ import annotations

import csv
import io

from framework_support import with_etag

READ = "framework:read"
WRITE = "framework:write"


def _draft_copy_of_seed(client, keys, seeded):
    """A new draft of the seeded framework, owned by BSO."""
    framework, version = seeded
    bso = keys.headers(READ, WRITE, org="BSO")
    versions = client.get(f"/frameworks/{framework['id']}", headers=bso).json()["versions"]
    draft = next((v for v in versions if v["status"] == "draft"), None)
    if draft is None:
        draft = client.post(f"/frameworks/{framework['id']}/versions", json={"version": "1.1.0"}, headers=bso).json()
    return draft, bso


def test_case_package_has_document_items_associations_and_rubric(client, keys, seeded):
    _, version = seeded
    package = client.get(f"/versions/{version['id']}/case", headers=keys.headers(READ)).json()
    document = package["CFDocument"]
    assert document["identifier"] == version["id"]
    assert document["adoptionStatus"] == "Adopted" and document["version"] == "1.0.0"
    assert document["uri"].startswith("https://framework.test/")
    tree = client.get(f"/versions/{version['id']}/tree", headers=keys.headers(READ)).json()
    assert {i["identifier"] for i in package["CFItems"]} >= {n["identifier"] for n in tree["items"]}
    child_links = [a for a in package["CFAssociations"] if a["associationType"] == "isChildOf"]
    to_document = [a for a in child_links if a["destinationNodeURI"]["identifier"] == document["identifier"]]
    assert len(to_document) == len(tree["items"])
    rubric = package["CFRubrics"][0]
    assert {len(c["CFRubricCriterionLevels"]) for c in rubric["CFRubricCriteria"]} == {4}


def test_csv_export_then_import_into_a_draft_round_trips(client, keys, seeded):
    _, version = seeded
    exported = client.get(f"/versions/{version['id']}/csv", headers=keys.headers(READ))
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    draft, bso = _draft_copy_of_seed(client, keys, seeded)

    imported = client.post(
        f"/versions/{draft['id']}/csv",
        content=exported.content,
        headers={**with_etag(client, draft["id"], bso), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    tree_before = client.get(f"/versions/{version['id']}/tree", headers=bso).json()["items"]
    tree_after = client.get(f"/versions/{draft['id']}/tree", headers=bso).json()["items"]
    assert tree_after == tree_before
    diff = client.get(f"/versions/{draft['id']}/diff", params={"from": version["id"]}, headers=bso).json()
    assert not any(diff[k] for k in ("added", "removed", "reworded", "moved", "descriptors", "associations"))


def test_csv_import_with_bad_rows_names_each_row_and_changes_nothing(client, keys, seeded):
    _, version = seeded
    draft, bso = _draft_copy_of_seed(client, keys, seeded)
    before = client.get(f"/versions/{draft['id']}/tree", headers=bso).json()["items"]
    rows = list(csv.reader(io.StringIO(client.get(f"/versions/{version['id']}/csv", headers=bso).text)))
    header = rows[0]
    rows[2][header.index("type")] = "vibe"  # row 3 of the file
    rows[4][header.index("statement")] = ""  # row 5
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    refused = client.post(
        f"/versions/{draft['id']}/csv",
        content=out.getvalue().encode(),
        headers={**with_etag(client, draft["id"], bso), "Content-Type": "text/csv"},
    )
    assert refused.status_code == 422
    body = refused.json()
    assert body["type"].endswith("/csv-invalid")
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(3, "type"), (5, "statement")}
    assert client.get(f"/versions/{draft['id']}/tree", headers=bso).json()["items"] == before


def test_csv_import_needs_csv_content_type(client, keys, seeded):
    draft, bso = _draft_copy_of_seed(client, keys, seeded)
    response = client.post(f"/versions/{draft['id']}/csv", json={"rows": []}, headers=bso)
    assert response.status_code == 415


def test_csv_import_is_idempotent(client, keys, seeded):
    _, version = seeded
    draft, bso = _draft_copy_of_seed(client, keys, seeded)
    exported = client.get(f"/versions/{version['id']}/csv", headers=bso).content
    headers = {**with_etag(client, draft["id"], bso), "Content-Type": "text/csv", "Idempotency-Key": "import-1"}
    first = client.post(f"/versions/{draft['id']}/csv", content=exported, headers=headers)
    again = client.post(f"/versions/{draft['id']}/csv", content=exported, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    other = client.post(f"/versions/{draft['id']}/csv", content=exported + b"\n", headers=headers)
    assert other.status_code == 422

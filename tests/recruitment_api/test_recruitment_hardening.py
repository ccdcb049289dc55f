"""Input that used to get the wrong answer: cursors the service did not issue, CSV imports with
no rows or too many cells, the id mapping of a bulk import, and NUL characters."""

from __future__ import annotations

import base64
import json

import pytest
from recruitment_support import SEEDED_VERSION, admin_headers, assessor_headers, create_vacancy

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


# --- candidate imports -----------------------------------------------------------------------


def import_csv(client, keys, vacancy, text: str, **headers):
    return client.post(
        f"/vacancies/{vacancy['id']}/candidates/import",
        content=text.encode(),
        headers={**admin_headers(keys, ORG), "Content-Type": "text/csv", **headers},
    )


@pytest.mark.parametrize(
    "text",
    [
        "name,email,external_ref\n",
        "\ufeffname,email,external_ref\r\n",
        "name,email\n\n\n",
        "\n\nname\r\n\r\n",
        "name",
    ],
)
def test_a_csv_with_a_header_and_no_rows_is_the_same_422_as_an_empty_json_import(client, keys, vacancy, text):
    empty_json = client.post(
        f"/vacancies/{vacancy['id']}/candidates/import", json={"candidates": []}, headers=admin_headers(keys, ORG)
    )
    empty_csv = import_csv(client, keys, vacancy, text)
    assert empty_json.status_code == empty_csv.status_code == 422, empty_csv.text
    assert empty_csv.json()["type"] == empty_json.json()["type"]
    assert [e["field"] for e in empty_csv.json()["errors"]] == [e["field"] for e in empty_json.json()["errors"]]


def test_a_csv_row_with_more_cells_than_the_header_is_refused_naming_the_row(client, keys, vacancy):
    text = (
        "name,external_ref,evidence:Working together\n"
        'Ann,X1,"We met weekly, and it worked"\n'
        "\n"  # a blank row still counts, as in a spreadsheet
        "Bob,X2,We met weekly, and it worked\n"
        "Cat,X3,Fine\n"
        "Dan,X4,a,b,c\n"
    )
    response = import_csv(client, keys, vacancy, text)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"].endswith("/import-invalid")
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(4, None), (6, None)]
    assert "4 cells but the header has 3" in body["errors"][0]["message"]
    listed = client.get(
        f"/vacancies/{vacancy['id']}/candidates", params={"external_ref": "X1"}, headers=admin_headers(keys, ORG)
    )
    assert listed.json()["items"] == []  # nothing was imported


def test_a_short_csv_row_is_still_fine(client, keys):
    fresh = create_vacancy(client, keys, org=ORG)
    response = import_csv(client, keys, fresh, "name,email,external_ref\nAnn\n")
    assert response.status_code == 201, response.text


def test_the_import_maps_every_row_to_its_candidate_also_on_replay(client, keys):
    fresh = create_vacancy(client, keys, org=ORG)
    text = "name,external_ref\n" + "".join(f"Person {i},ATS-{i}\n" for i in range(250)) + "No Ref,\n"
    first = import_csv(client, keys, fresh, text, **{"Idempotency-Key": "map-1"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["imported"] == 251 and body.get("candidates") is None  # too many to list inline
    mapping = body["mapping"]
    assert [m["row"] for m in mapping] == list(range(2, 253))
    assert [m["external_ref"] for m in mapping] == [f"ATS-{i}" for i in range(250)] + [None]
    assert len({m["id"] for m in mapping}) == len({m["code"] for m in mapping}) == 251
    replay = import_csv(client, keys, fresh, text, **{"Idempotency-Key": "map-1"})
    assert replay.status_code == 201 and replay.headers.get("idempotent-replayed") == "true"
    assert replay.json()["mapping"] == mapping
    # And each mapping agrees with the candidate list filtered by the HR system's own id.
    for entry in (mapping[0], mapping[249]):
        found = client.get(
            f"/vacancies/{fresh['id']}/candidates",
            params={"external_ref": entry["external_ref"]},
            headers=admin_headers(keys, ORG),
        ).json()["items"]
        assert [(c["id"], c["code"], c["external_ref"]) for c in found] == [
            (entry["id"], entry["code"], entry["external_ref"])
        ]


def test_a_json_import_maps_its_rows_from_1(client, keys):
    fresh = create_vacancy(client, keys, org=ORG)
    people = [{"name": "A", "external_ref": "J-1"}, {"name": "B"}]
    response = client.post(
        f"/vacancies/{fresh['id']}/candidates/import", json={"candidates": people}, headers=admin_headers(keys, ORG)
    )
    assert response.status_code == 201, response.text
    mapping = response.json()["mapping"]
    assert [(m["row"], m["external_ref"]) for m in mapping] == [(1, "J-1"), (2, None)]
    assert [m["id"] for m in mapping] == [c["id"] for c in response.json()["candidates"]]


def test_filtering_by_external_ref(client, keys, vacancy):
    url = f"/vacancies/{vacancy['id']}/candidates"
    found = client.get(url, params={"external_ref": "H1"}, headers=admin_headers(keys, ORG)).json()
    assert [c["external_ref"] for c in found["items"]] == ["H1"] and found["next"] is None
    none = client.get(url, params={"external_ref": "nobody"}, headers=admin_headers(keys, ORG)).json()
    assert none["items"] == []


def test_an_assessor_may_not_filter_by_external_ref(client, keys, vacancy):
    # The ATS id ties a pseudonymous code to a person: filtering by it would unblind an assessor.
    response = client.get(
        f"/vacancies/{vacancy['id']}/candidates",
        params={"external_ref": "H1"},
        headers=assessor_headers(keys, "someone", ORG),
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("/insufficient-scope")


def test_a_json_import_that_is_not_json_says_so_in_plain_words(client, keys, vacancy):
    response = client.post(
        f"/vacancies/{vacancy['id']}/candidates/import",
        content=b'{"candidates": [',
        headers={**admin_headers(keys, ORG), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": "The body is not valid JSON (at character 16)"}]


def test_a_json_import_that_is_not_utf8_says_so_and_imports_nothing(client, keys, vacancy):
    response = client.post(
        f"/vacancies/{vacancy['id']}/candidates/import",
        content=b'{"candidates": [{"name": "Caf\xe9"}]}',
        headers={**admin_headers(keys, ORG), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {"field": "body", "message": "The body is not valid JSON: it is not UTF-8 (at byte 29)"}
    ]
    listed = client.get(f"/vacancies/{vacancy['id']}/candidates", headers=admin_headers(keys, ORG)).json()["items"]
    assert not [c for c in listed if c.get("name") == "Caf\u00e9"]


# --- NUL characters: refused alike on SQLite and PostgreSQL ----------------------------------


def test_a_nul_in_a_json_body_is_refused_naming_the_field(client, keys):
    body = {"title": "Ward\x00Sister", "band": "Band 7", "framework_version_id": SEEDED_VERSION, "values": ["V1"]}
    response = client.post("/vacancies", json=body, headers=admin_headers(keys, ORG))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.title"]
    titles = [v["title"] for v in client.get("/vacancies", headers=admin_headers(keys, ORG)).json()["items"]]
    assert "Ward\x00Sister" not in titles


def test_a_nul_in_a_csv_import_is_refused_naming_the_line(client, keys, vacancy):
    response = import_csv(client, keys, vacancy, "name,external_ref\nAnn,N1\nB\x00b,N2\n")
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["row"]) == ("body", 3)


def test_a_nul_in_the_query_is_refused_naming_the_parameter(client, keys, vacancy):
    response = client.get(
        f"/vacancies/{vacancy['id']}/candidates", params={"external_ref": "H\x001"}, headers=admin_headers(keys, ORG)
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.external_ref"]

"""Organisation structure: seeded organisations, directorates and teams, CSV import (all or nothing,
errors by row), who sees which subtree, and subtree queries served by the path index."""

from __future__ import annotations

import csv
import io

from monitoring_support import ADMIN, READ, create_unit, headers, regional, unique
from sqlalchemy import text
from sqlmodel import Session, select

from monitoring_api.structure.models import OrgUnit
from monitoring_api.structure.service import in_subtree
from support import ON_POSTGRES

HSC = {
    "DOH", "SPPG", "PHA", "BSO", "BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT",
    "NIAS", "NIMDTA", "RQIA", "NIPEC", "NISCC", "NIBTS", "PCC",
}  # fmt: skip


def test_organisations_are_seeded_and_seen_by_their_own_tokens(client, keys):
    own = client.get("/organisations", headers=headers(keys, READ, org="NHSCT")).json()["items"]
    assert [o["code"] for o in own] == ["NHSCT"]
    assert own[0]["kind"] == "organisation" and own[0]["path"] == "/NHSCT/" and own[0]["level"] == 1
    everyone = client.get("/organisations", headers=regional(keys)).json()["items"]
    assert {o["code"] for o in everyone} == HSC
    # A token of an organisation the structure does not hold sees nothing.
    assert client.get("/organisations", headers=headers(keys, READ, org="ELSEWHERE")).json()["items"] == []


def test_create_read_rename_a_unit(client, keys):
    admin = headers(keys, org="SHSCT")
    directorate = unique("ACUTE")
    created = client.post("/units", json={"code": directorate, "name": "Acute", "kind": "directorate"}, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/units/{body['id']}"
    assert body["path"] == f"/SHSCT/{directorate}/" and body["level"] == 2 and body["parent"]["code"] == "SHSCT"
    team = create_unit(client, keys, "SHSCT", unique("WARD"), parent=directorate)
    assert team["path"] == f"/SHSCT/{directorate}/{team['code']}/" and team["level"] == 3
    read = client.get(f"/units/{team['id']}", headers=admin)
    etag = read.headers["etag"]
    assert read.json() == team
    assert client.get(f"/units/{team['id']}", headers={**admin, "If-None-Match": etag}).status_code == 304
    assert client.patch(f"/units/{team['id']}", json={"name": "Ward 3"}, headers=admin).status_code == 428
    stale = client.patch(f"/units/{team['id']}", json={"name": "Ward 3"}, headers={**admin, "If-Match": '"stale"'})
    assert stale.status_code == 412 and stale.json()["type"].endswith("/precondition-failed")
    renamed = client.patch(f"/units/{team['id']}", json={"name": "Ward 3"}, headers={**admin, "If-Match": etag})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Ward 3"
    assert renamed.headers["etag"] != etag


def test_unit_refusals(client, keys):
    admin = headers(keys, org="SHSCT")
    code = unique("DUP")
    create_unit(client, keys, "SHSCT", code, kind="directorate")
    again = client.post("/units", json={"code": code, "name": "Again", "kind": "team"}, headers=admin)
    assert again.status_code == 409 and again.json()["type"].endswith("/unit-exists")
    cases = [
        ({"code": "lower", "name": "x", "kind": "team"}, "body.code"),
        ({"code": unique("X"), "name": "", "kind": "team"}, "body.name"),
        ({"code": unique("X"), "name": "x", "kind": "ward"}, "body.kind"),
        ({"code": unique("X"), "name": "x", "kind": "organisation"}, "body.kind"),
        ({"code": unique("X"), "name": "x", "kind": "team", "parent": "NOPE"}, "body.parent"),
        ({"code": unique("X"), "name": "x", "kind": "team", "colour": "red"}, "body.colour"),
    ]
    for body, field in cases:
        response = client.post("/units", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json())
    assert client.post("/units", json=cases[0][0], headers=headers(keys, READ, org="SHSCT")).status_code == 403
    assert client.post("/units", json=cases[0][0]).status_code == 401


def test_other_organisations_units_are_not_found_and_regional_tokens_see_them(client, keys):
    unit = create_unit(client, keys, "WHSCT", unique("SECRET"), kind="directorate")
    for org in ("BHSCT", "DOH"):
        assert client.get(f"/units/{unit['id']}", headers=headers(keys, READ, org=org)).status_code == 404
    assert client.get(f"/units/{unit['id']}", headers=regional(keys)).status_code == 200
    listed = client.get("/units", headers=headers(keys, READ, org="BHSCT"), params={"limit": 500}).json()["items"]
    assert all(u["org"] == "BHSCT" for u in listed)
    # Regional tokens read everywhere but write only in their own organisation.
    etag = client.get(f"/units/{unit['id']}", headers=regional(keys)).headers["etag"]
    rename = client.patch(
        f"/units/{unit['id']}", json={"name": "x"}, headers={**regional(keys, ADMIN), "If-Match": etag}
    )
    assert rename.status_code == 404


def test_subtree_listing_filters_and_pages(client, keys):
    org = "NIAS"
    top = unique("OPS")
    create_unit(client, keys, org, top, kind="directorate")
    teams = [create_unit(client, keys, org, unique("STN"), parent=top) for _ in range(3)]
    other = create_unit(client, keys, org, unique("HQ"), kind="directorate")
    reader = headers(keys, READ, org=org)
    directorate = client.get("/units", headers=reader, params={"kind": "directorate"}).json()["items"]
    top_id = next(u["id"] for u in directorate if u["code"] == top)
    subtree = client.get("/units", headers=reader, params={"under": top_id}).json()["items"]
    assert [u["code"] for u in subtree] == [top, *sorted(t["code"] for t in teams)]
    assert other["code"] not in [u["code"] for u in subtree]
    level3 = client.get("/units", headers=reader, params={"under": top_id, "level": 3}).json()["items"]
    assert len(level3) == 3
    seen, url = [], "/units"
    params = {"under": top_id, "limit": 2}
    while url:
        page = client.get(url, headers=reader, params=params)
        assert page.status_code == 200, page.text
        seen += [u["code"] for u in page.json()["items"]]
        url, params = page.json().get("next"), None
    assert seen == [u["code"] for u in subtree]
    forged = client.get("/units", headers=reader, params={"cursor": "eyJwYXRoIjoiLyJ9.AAAA"})
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "query.cursor"


def _import(client, keys, org, text_body, key=None, scopes=()):
    extra = {"Content-Type": "text/csv", **({"Idempotency-Key": key} if key else {})}
    return client.post("/units/import", content=text_body, headers={**headers(keys, *scopes, org=org), **extra})


def test_csv_import_creates_parents_first_renames_and_keeps(client, keys):
    org = "PHA"
    d, t1, t2 = unique("HP"), unique("SCREEN"), unique("IMM")
    body = (
        "code,name,kind,parent\n"
        f"{t1},Screening,team,{d}\n{d},Health Protection,directorate,\n{t2},Immunisation,team,{d}\n"
    )
    created = _import(client, keys, org, body)
    assert created.status_code == 201, created.text
    result = created.json()
    assert (result["created"], result["renamed"], result["unchanged"]) == (3, 0, 0)
    assert [(u["row"], u["code"], u["outcome"]) for u in result["units"]] == [
        (2, t1, "created"),
        (3, d, "created"),
        (4, t2, "created"),
    ]
    again = _import(client, keys, org, body.replace("Screening", "Screening Programmes"))
    assert again.status_code == 201
    assert (again.json()["created"], again.json()["renamed"], again.json()["unchanged"]) == (0, 1, 2)
    exported = client.get("/units.csv", headers=headers(keys, READ, org=org))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    round_trip = _import(client, keys, org, exported.text)
    assert round_trip.status_code == 201, round_trip.text
    assert round_trip.json()["created"] == 0 and round_trip.json()["renamed"] == 0


def test_csv_import_errors_are_numbered_by_row_and_nothing_is_imported(client, keys):
    org = "PHA"
    keep = unique("KEEP")
    body = (
        "code,name,kind,parent\n"
        f"{keep},Kept,directorate,\n"
        "bad code,Bad,team,\n"
        f"{unique('T')},Orphan,team,NOWHERE\n"
        f"{keep},Twice,team,\n"
        "\n"
        f"{unique('T')},,ward,\n"
    )
    response = _import(client, keys, org, body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/import-invalid")
    rows = {(e["row"], e["field"]) for e in problem["errors"]}
    assert {(3, "code"), (5, "code"), (7, "name"), (7, "kind")} <= rows
    listed = [
        u["code"]
        for u in client.get("/units", headers=headers(keys, READ, org=org), params={"limit": 500}).json()["items"]
    ]
    assert keep not in listed
    orphan = _import(client, keys, org, f"code,name,kind,parent\n{unique('T')},Orphan,team,NOWHERE\n")
    [error] = orphan.json()["errors"]
    assert (error["row"], error["field"]) == (2, "parent") and "NOWHERE" in error["message"]
    header = _import(client, keys, org, "code,title\nX,Y\n")
    assert header.status_code == 422 and header.json()["type"].endswith("/csv-invalid")
    assert {e["field"] for e in header.json()["errors"]} == {"name", "kind", "title"}
    wide = _import(client, keys, org, f"code,name,kind\n{unique('W')},A, B,team\n")
    assert wide.status_code == 422 and wide.json()["errors"][0]["row"] == 2
    assert _import(client, keys, org, "").status_code == 422
    not_utf8 = client.post(
        "/units/import",
        content=b"code,name,kind\n\xff,x,team\n",
        headers={**headers(keys, org=org), "Content-Type": "text/csv"},
    )
    assert not_utf8.status_code == 422
    json_body = client.post("/units/import", json={"units": []}, headers=headers(keys, org=org))
    assert json_body.status_code == 415


def test_csv_import_moving_a_unit_is_refused(client, keys):
    org = "RQIA"
    a, b, t = unique("A"), unique("B"), unique("T")
    assert (
        _import(
            client, keys, org, f"code,name,kind,parent\n{a},A,directorate,\n{b},B,directorate,\n{t},T,team,{a}\n"
        ).status_code
        == 201
    )
    moved = _import(client, keys, org, f"code,name,kind,parent\n{t},T,team,{b}\n")
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["row"] == 2 and "moving" in moved.json()["errors"][0]["message"]


def test_csv_import_is_idempotent_with_a_key(client, keys):
    org = "NISCC"
    body = f"code,name,kind\n{unique('REG')},Registration,directorate\n"
    key = unique("key-")
    first = _import(client, keys, org, body, key=key)
    replay = _import(client, keys, org, body, key=key)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == first.json()
    reused = _import(client, keys, org, body + f"{unique('X')},X,team\n", key=key)
    assert reused.status_code == 422 and reused.json()["type"].endswith("/idempotency-key-reused")


def test_create_is_idempotent_with_a_key(client, keys):
    admin = {**headers(keys, org="NIBTS"), "Idempotency-Key": unique("k")}
    body = {"code": unique("LAB"), "name": "Laboratory", "kind": "directorate"}
    first = client.post("/units", json=body, headers=admin)
    replay = client.post("/units", json=body, headers=admin)
    assert first.status_code == replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    reused = client.post("/units", json={**body, "name": "Other"}, headers=admin)
    assert reused.status_code == 422


def test_exports_neutralise_formulas(client, keys):
    org = "PCC"
    code = unique("F")
    assert _import(client, keys, org, f"code,name,kind\n{code},=HYPERLINK(1),directorate\n").status_code == 201
    exported = client.get("/units.csv", headers=headers(keys, READ, org=org)).text
    row = next(r for r in csv.reader(io.StringIO(exported)) if r and r[0] == code)
    assert row[1] == "'=HYPERLINK(1)"


def test_a_subtree_is_one_range_on_the_path_index(monitoring_app):
    query = select(OrgUnit.id).where(in_subtree(OrgUnit.path, "/BHSCT/"))
    with Session(monitoring_app.state.engine) as session:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        if ON_POSTGRES:
            session.exec(text("SET enable_seqscan = off"))
            plan = " ".join(row[0] for row in session.exec(text(f"EXPLAIN {compiled}")))
            assert "ix_org_unit_path" in plan, plan
        else:
            plan = " ".join(str(row[-1]) for row in session.exec(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "USING COVERING INDEX ix_org_unit_path (path>? AND path<?)" in plan or (
                "ix_org_unit_path" in plan and "path>" in plan
            ), plan
        rows = session.exec(query).all()
        paths = session.exec(select(OrgUnit.path).where(OrgUnit.org == "BHSCT")).all()
        assert len(rows) == len(paths)

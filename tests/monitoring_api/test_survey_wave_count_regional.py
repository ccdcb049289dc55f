"""An open wave's running count is for its own organisation's administrators and survey tools: a
monitoring:regional token that also holds monitoring:admin (a Department of Health administrator who is
also a regional lead; roles combine) must not read another organisation's, which at close is the top
cell that disclosure control withholds ("fewer than 10 responses")."""

from __future__ import annotations

from monitoring_support import ADMIN, READ, REGIONAL, headers, organisation


def test_a_regional_admin_does_not_read_another_organisations_open_wave_count(client, keys):
    org = "NISCC"
    h = headers(keys, org=org)
    root = organisation(client, keys, org)
    instrument = next(
        i for i in client.get("/survey-instruments", headers=h).json()["items"] if i["code"] == "HSC-CULTURE"
    )
    body = {
        "instrument": instrument["id"],
        "title": "Small",
        "opens": "2026-02-01",
        "closes": "2026-02-28",
        "unit": root["id"],
    }
    wave = client.post("/survey-waves", json=body, headers=h).json()
    tool = {**keys.headers("survey:ingest", org=org, subject="small-tool"), "Content-Type": "text/csv"}
    csv_body = "unit,engagement.look_forward\n" + f"{root['code']},3\n" * 4
    assert client.post(f"/survey-waves/{wave['id']}/responses", content=csv_body, headers=tool).status_code == 201

    doh_admin = keys.headers(READ, REGIONAL, ADMIN, org="DOH", subject="doh-admin")
    seen = client.get(f"/survey-waves/{wave['id']}", headers=doh_admin).json()["responses"]
    assert client.post(f"/survey-waves/{wave['id']}/close", headers=h).status_code == 200
    top = client.get(f"/survey-waves/{wave['id']}/results", headers=doh_admin).json()["cells"][0]["responses"]
    assert top == {"suppressed": True, "reason": "fewer than 10 responses"}
    # What should hold: another organisation's administrator is not the wave's administrator.
    assert isinstance(seen, dict) and seen.get("suppressed") is True, f"DOH read NISCC's open count: {seen}"

"""Every refusal of recruitment-api: state, locks, scale, panel membership, organisation, imports."""

from __future__ import annotations

import uuid

from recruitment_support import admin_headers, create_vacancy, design, ready_panel, score, sheet_url


def test_status_moves_only_forward_one_step(client, keys):
    vacancy = create_vacancy(client, keys)
    admin = admin_headers(keys)
    url = f"/vacancies/{vacancy['id']}/status"
    no_design = client.post(url, json={"status": "open"}, headers=admin)
    assert no_design.status_code == 409 and no_design.json()["type"].endswith("/design-missing")
    design(client, keys, vacancy)
    for bad in ("scoring", "decided", "closed", "draft"):
        refused = client.post(url, json={"status": bad}, headers=admin)
        assert refused.status_code == 409, bad
        assert refused.json()["type"].endswith("/invalid-transition")
    assert client.post(url, json={"status": "open"}, headers=admin).status_code == 200
    assert client.post(url, json={"status": "open"}, headers=admin).status_code == 409
    bogus = client.post(url, json={"status": "archived"}, headers=admin)
    assert bogus.status_code == 422 and bogus.json()["errors"][0]["field"] == "body.status"


def test_design_needs_if_match_and_locks_at_the_first_submission(client, keys):
    panel = ready_panel(client, keys, org="WHSCT")
    url = f"/vacancies/{panel.vacancy['id']}/design"
    current = client.get(url, headers=panel.admin)
    body = {"stages": [{"name": "Interview", "kind": "interview", "criteria": [{"criterion": "V1"}]}]}
    missing = client.put(url, json=body, headers=panel.admin)
    assert missing.status_code == 428
    stale = client.put(url, json=body, headers={**panel.admin, "If-Match": '"stale"'})
    assert stale.status_code == 412
    score(client, panel, panel.lead, panel.candidates[0], {"V1": 2, "V2": 2, "V3": 2, "V4": 2})
    locked = client.put(url, json=body, headers={**panel.admin, "If-Match": current.headers["etag"]})
    assert locked.status_code in (409, 412)
    fresh = client.get(url, headers=panel.admin)
    assert fresh.json()["locked"] is True
    locked = client.put(url, json=body, headers={**panel.admin, "If-Match": fresh.headers["etag"]})
    assert locked.status_code == 409 and locked.json()["type"].endswith("/design-locked")


def test_scoring_refusals(client, keys):
    panel = ready_panel(client, keys, org="SHSCT")
    candidate = panel.candidates[0]
    url = sheet_url(panel, candidate)
    out_of_scale = client.put(url, json={"scores": [{"criterion": "V1", "score": 5}]}, headers=panel.lead)
    assert out_of_scale.status_code == 422 and out_of_scale.json()["errors"][0]["field"] == "body.scores.0.score"
    zero = client.put(url, json={"scores": [{"criterion": "V1", "score": 0}]}, headers=panel.lead)
    assert zero.status_code == 422, "0 is not on the 1-4 scale: 'not evidenced' is its own answer"
    both = client.put(
        url, json={"scores": [{"criterion": "V1", "score": 2, "not_evidenced": True}]}, headers=panel.lead
    )
    assert both.status_code == 422
    unknown = client.put(url, json={"scores": [{"criterion": "V9", "score": 2}]}, headers=panel.lead)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.scores.0.criterion"
    incomplete = client.post(url + "/submit", headers=panel.lead)
    assert incomplete.status_code == 422 and incomplete.json()["type"].endswith("/sheet-incomplete")

    outsider = keys.headers("recruitment:read", "recruitment:score", org="SHSCT", subject="not-on-panel")
    assert client.get(url, headers=outsider).status_code == 403
    assert client.put(url, json={"scores": []}, headers=outsider).json()["type"].endswith("/not-on-panel")

    score(client, panel, panel.lead, candidate, {"V1": 2, "V2": 2, "V3": 2, "V4": 2})
    after = client.put(url, json={"scores": [{"criterion": "V1", "score": 3}]}, headers=panel.lead)
    assert after.status_code == 409 and after.json()["type"].endswith("/sheet-submitted")
    again = client.post(url + "/submit", headers=panel.lead)
    assert again.status_code == 409

    no_score_scope = keys.headers("recruitment:read", org="SHSCT", subject="lead-assessor")
    assert client.put(url, json={"scores": []}, headers=no_score_scope).status_code == 403


def test_another_organisations_vacancy_is_not_found(client, keys):
    panel = ready_panel(client, keys, org="BHSCT")
    other = keys.headers(
        "recruitment:read",
        "recruitment:admin",
        "recruitment:score",
        "equality:read",
        org="NHSCT",
        subject="lead-assessor",
    )
    base = f"/vacancies/{panel.vacancy['id']}"
    stage = f"{base}/stages/{panel.stage['id']}"
    candidate = panel.candidates[0]["id"]
    for path in (
        base,
        f"{base}/design",
        f"{base}/candidates",
        f"{base}/candidates/{candidate}",
        f"{stage}/results",
        f"{stage}/reliability",
        f"{stage}/panel",
        f"{stage}/adverse-impact",
        f"{stage}/candidates/{candidate}/scores",
        f"{base}/candidates/{candidate}/subject-access",
    ):
        response = client.get(path, headers=other)
        assert response.status_code == 404, (path, response.status_code)
    listed = client.get("/vacancies", headers=other).json()["items"]
    assert panel.vacancy["id"] not in {v["id"] for v in listed}
    write = client.post(f"{base}/candidates", json={"name": "Intruder"}, headers=other)
    assert write.status_code == 404


def test_bad_import_row_imports_nothing_and_names_the_row(client, keys):
    vacancy = create_vacancy(client, keys, org="PHA")
    admin = admin_headers(keys, "PHA")
    rows = [{"name": f"P{i}", "email": f"p{i}@example.org"} for i in range(5)]
    rows[3]["email"] = "not-an-email"
    refused = client.post(f"/vacancies/{vacancy['id']}/candidates/import", json={"candidates": rows}, headers=admin)
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(4, "body.candidates.3.email")]
    csv_body = "name,email,external_ref\nA,a@example.org,X1\n,b@example.org,X2\nC,c@example.org,X1\n"
    refused = client.post(
        f"/vacancies/{vacancy['id']}/candidates/import", content=csv_body, headers={**admin, "Content-Type": "text/csv"}
    )
    assert refused.status_code == 422
    assert {(e["row"], e["field"]) for e in refused.json()["errors"]} == {(3, "name"), (4, "external_ref")}
    assert client.get(f"/vacancies/{vacancy['id']}/candidates", headers=admin).json()["items"] == []


def test_import_is_idempotent_and_refuses_a_reused_key(client, keys):
    vacancy = create_vacancy(client, keys, org="PCC")
    headers = {**admin_headers(keys, "PCC"), "Idempotency-Key": "import-pcc-1"}
    body = {"candidates": [{"name": "One"}, {"name": "Two"}]}
    first = client.post(f"/vacancies/{vacancy['id']}/candidates/import", json=body, headers=headers)
    again = client.post(f"/vacancies/{vacancy['id']}/candidates/import", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert len(client.get(f"/vacancies/{vacancy['id']}/candidates", headers=headers).json()["items"]) == 2
    other = client.post(
        f"/vacancies/{vacancy['id']}/candidates/import", json={"candidates": [{"name": "Three"}]}, headers=headers
    )
    assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")


def test_unknown_framework_version_or_codes_are_named(client, keys):
    admin = admin_headers(keys)
    missing = client.post("/vacancies", json={"title": "X", "framework_version_id": str(uuid.uuid4())}, headers=admin)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.framework_version_id"
    codes = client.post(
        "/vacancies",
        json={"title": "X", "framework_version_id": "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef", "values": ["V1", "NOPE"]},
        headers=admin,
    )
    assert codes.status_code == 422 and "NOPE" in codes.json()["detail"]
    neither = client.post("/vacancies", json={"title": "X"}, headers=admin)
    assert neither.status_code == 422


def test_inline_criteria_need_no_framework(client, keys):
    admin = admin_headers(keys, "RQIA")
    created = client.post(
        "/vacancies",
        headers=admin,
        json={
            "title": "Inspector",
            "criteria": [
                {
                    "code": "K1",
                    "statement": "Kindness",
                    "anchors": [
                        {"score": 1, "title": "Low", "description": "Little"},
                        {"score": 4, "title": "High", "description": "Lots"},
                    ],
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["criteria_source"] == "inline" and created.json()["criteria"][0]["code"] == "K1"


def test_unreadable_or_ragged_csv_is_a_named_problem_not_a_crash(client, keys):
    vacancy = create_vacancy(client, keys, org="NIBTS")
    headers = {**admin_headers(keys, "NIBTS"), "Content-Type": "text/csv"}
    url = f"/vacancies/{vacancy['id']}/candidates/import"
    # A cell beyond the csv module's limit (128 KiB) cannot be read at all.
    broken = client.post(url, content='name,email\nAnn,x\n"' + "a" * 200_000 + '",x\n', headers=headers)
    assert broken.status_code == 422 and broken.json()["type"].endswith("/csv-invalid")
    assert broken.json()["errors"][0]["row"] == 3
    # A short row is fine; a long one is refused by row (its extra cells would be lost).
    short = client.post(url, content="name,email,phone\nShort Row\n", headers=headers)
    assert short.status_code == 201, short.text
    ragged = client.post(url, content="name,email,phone\nShort Row\nLong,l@example.org,1,extra\n", headers=headers)
    assert ragged.status_code == 422, ragged.text
    assert [e["row"] for e in ragged.json()["errors"]] == [3]
    no_header = client.post(url, content="", headers=headers)
    assert no_header.status_code == 422 and no_header.json()["errors"][0]["row"] == 1


def test_an_admin_on_the_panel_is_as_blind_as_any_assessor(client, keys):
    panel = ready_panel(client, keys, org="NIPEC", lead="admin-who-scores")
    both = keys.headers(
        "recruitment:read", "recruitment:admin", "recruitment:score", org="NIPEC", subject="admin-who-scores"
    )
    first, second = panel.candidates[0], panel.candidates[1]
    base = f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}"
    score(client, panel, panel.second, first, {"V1": 4, "V2": 4, "V3": 4, "V4": 4})
    score(client, panel, panel.second, second, {"V1": 1, "V2": 1, "V3": 1, "V4": 1})
    assert client.get(f"{base}/candidates/{first['id']}/scores", headers=both).status_code == 403
    assert client.get(f"{base}/results", headers=both).json()["candidates"] == []
    assert client.get(f"{base}/reliability", headers=both).status_code == 403
    assert client.get(f"{base}/results.csv", headers=both).status_code == 403

    score(client, panel, both, first, {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    assert client.get(f"{base}/candidates/{first['id']}/scores", headers=both).status_code == 200
    partial = client.get(f"{base}/results", headers=both).json()
    assert [(r["candidate_code"], r["rank"]) for r in partial["candidates"]] == [(first["code"], 1)]
    assert partial["complete"] is False  # ranked among the candidates shown, so no rank gives others away
    assert client.get(f"{base}/reliability", headers=both).status_code == 403
    # An admin who is not on the panel sees everything.
    everyone = client.get(f"{base}/results", headers=panel.admin).json()["candidates"]
    assert {r["candidate_code"] for r in everyone} == {first["code"], second["code"]}


def test_sjt_stage_takes_fractional_imported_scores(client, keys):
    vacancy = create_vacancy(client, keys, org="SEHSCT")
    sjt = [{"name": "Situational judgement", "kind": "sjt", "pass_mark": 60}]
    stage = design(client, keys, vacancy, org="SEHSCT", stages=sjt)["stages"][0]
    admin = admin_headers(keys, "SEHSCT")
    people = client.post(
        f"/vacancies/{vacancy['id']}/candidates/import",
        headers=admin,
        json={"candidates": [{"name": "A"}, {"name": "B"}]},
    ).json()["candidates"]
    for status in ("open", "scoring"):
        client.post(f"/vacancies/{vacancy['id']}/status", json={"status": status}, headers=admin)
    scores = {
        "scores": [{"candidate_id": people[0]["id"], "score": 71.5}, {"candidate_id": people[1]["id"], "score": 55.25}]
    }
    base = f"/vacancies/{vacancy['id']}/stages/{stage['id']}"
    assert client.post(f"{base}/sjt-scores", json=scores, headers=admin).json() == {"imported": 2}
    rows = client.get(f"{base}/results", headers=admin).json()["candidates"]
    assert [(r["weighted_mean"], r["appointable"]) for r in rows] == [(71.5, True), (55.25, False)]
    assert client.get(f"{base}/results.csv", headers=admin).status_code == 200
    bad = client.post(
        f"{base}/sjt-scores", json={"scores": [{"candidate_id": str(uuid.uuid4()), "score": 1}]}, headers=admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.scores.0.candidate_id"


def test_no_new_equality_answers_after_erasure(client, keys):
    vacancy = create_vacancy(client, keys, org="DOH")
    admin = admin_headers(keys, "DOH")
    [person] = client.post(
        f"/vacancies/{vacancy['id']}/candidates/import", headers=admin, json={"candidates": [{"name": "Erased"}]}
    ).json()["candidates"]
    url = f"/vacancies/{vacancy['id']}/candidates/{person['id']}"
    assert client.post(f"{url}/erasure", headers=admin).status_code == 204
    again = client.put(f"{url}/equality", json={"sex": "male"}, headers=keys.headers("equality:write", org="DOH"))
    assert again.status_code == 409 and again.json()["type"].endswith("/candidate-erased")


def test_a_withdrawn_candidate_does_not_lock_an_admin_assessor_out(client, keys):
    panel = ready_panel(client, keys, org="NHSCT", lead="admin-assessor")
    both = keys.headers(
        "recruitment:read", "recruitment:admin", "recruitment:score", org="NHSCT", subject="admin-assessor"
    )
    first, second, third = panel.candidates
    base = f"/vacancies/{panel.vacancy['id']}"
    assert client.post(f"{base}/candidates/{third['id']}/withdraw", headers=panel.admin).status_code == 200
    for candidate in (first, second):
        score(client, panel, panel.second, candidate, {"V1": 2, "V2": 3, "V3": 2, "V4": 3})
        score(client, panel, both, candidate, {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    stage = f"{base}/stages/{panel.stage['id']}"
    assert client.get(f"{stage}/reliability", headers=both).status_code == 200
    assert client.get(f"{stage}/results.csv", headers=both).status_code == 200


def test_missing_service_key_is_a_503_not_a_500(client, keys, recruitment_app, tmp_path):
    provider = recruitment_app.state.framework_client.tokens
    saved = provider.private_key_path
    provider.private_key_path = tmp_path / "no-such-key.pem"
    provider._cache.clear()
    try:
        response = client.post(
            "/vacancies",
            headers=admin_headers(keys, "BSO"),
            json={"title": "X", "framework_version_id": "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef"},
        )
    finally:
        provider.private_key_path = saved
    assert response.status_code == 503 and response.json()["type"].endswith("/framework-unavailable")


def test_bodies_over_the_limit_are_413_but_bulk_imports_have_room(client, keys):
    admin = admin_headers(keys, "BSO")
    huge = client.post("/vacancies", json={"title": "x" * 2_000_000, "criteria": []}, headers=admin)
    assert huge.status_code == 413 and huge.json()["type"].endswith("/content-too-large")
    vacancy = create_vacancy(client, keys, org="BSO")
    people = [{"name": f"Candidate {i}", "evidence": [{"title": "Answer", "text": "y" * 900}]} for i in range(1500)]
    imported = client.post(f"/vacancies/{vacancy['id']}/candidates/import", json={"candidates": people}, headers=admin)
    assert imported.status_code == 201, imported.text[:300]  # about 1.5 MB, over the ordinary 1 MB limit
    assert imported.json()["imported"] == 1500


def test_the_vacancy_list_shows_each_caller_what_their_role_and_panels_need(client, keys):
    """An assessor lists only the vacancies of their panels (no drafts, no other panels); admins
    and an HR system with recruitment:read see every vacancy of the organisation."""
    admin = keys.headers("recruitment:read", "recruitment:admin", org="NHSCT", subject="list-admin")
    criteria = [{"code": "K1", "statement": "Kindness"}]
    draft = client.post("/vacancies", headers=admin, json={"title": "List draft", "criteria": criteria}).json()
    mine = client.post("/vacancies", headers=admin, json={"title": "List mine", "criteria": criteria}).json()
    other = client.post("/vacancies", headers=admin, json={"title": "List other", "criteria": criteria}).json()
    for vacancy, assessor in ((mine, "list-assessor"), (other, "someone-else")):
        base = f"/vacancies/{vacancy['id']}"
        etag = client.get(f"{base}/design", headers=admin).headers["etag"]
        stage = {"name": "Interview", "kind": "interview", "criteria": [{"criterion": "K1"}]}
        design = client.put(f"{base}/design", headers={**admin, "If-Match": etag}, json={"stages": [stage]}).json()
        panel = {"members": [{"assessor": assessor, "is_lead": True}]}
        assert (
            client.put(f"{base}/stages/{design['stages'][0]['id']}/panel", headers=admin, json=panel).status_code == 200
        )
        assert client.post(f"{base}/status", headers=admin, json={"status": "open"}).status_code == 200

    def titles(headers) -> set[str]:
        return {v["title"] for v in client.get("/vacancies?limit=500", headers=headers).json()["items"]}

    assert {"List draft", "List mine", "List other"} <= titles(admin)
    assessor = keys.headers("recruitment:read", "recruitment:score", org="NHSCT", subject="list-assessor")
    assert titles(assessor) == {"List mine"}
    hr_system = keys.headers("recruitment:read", org="NHSCT", subject="hr")
    assert {"List draft", "List mine", "List other"} <= titles(hr_system)
    assert draft["status"] == "draft"

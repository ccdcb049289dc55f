"""The whole recruitment flow through the API, as an HR system and a panel would use it."""

from __future__ import annotations

from recruitment_support import admin_headers, create_vacancy, ready_panel, score, sheet_url


def test_vacancy_snapshots_the_framework_values_with_anchors(client, keys):
    vacancy = create_vacancy(client, keys)
    assert vacancy["status"] == "draft" and vacancy["criteria_source"] == "framework"
    assert vacancy["framework_title"] == "HSC Collective Leadership Framework"
    assert [c["code"] for c in vacancy["criteria"]] == ["V1", "V2", "V3", "V4"]
    assert [c["statement"] for c in vacancy["criteria"]] == [
        "Working Together",
        "Excellence",
        "Openness and Honesty",
        "Compassion",
    ]
    for criterion in vacancy["criteria"]:
        assert [a["score"] for a in criterion["anchors"]] == [1, 2, 3, 4]
        assert criterion["indicators"], "the value's behaviours are its positive indicators"


def test_panel_day_from_scoring_to_results(client, keys):
    panel = ready_panel(client, keys)
    first, second, third = panel.candidates
    # Blind: assessors see codes and evidence, never names.
    blind = client.get(f"/vacancies/{panel.vacancy['id']}/candidates", headers=panel.lead).json()["items"]
    assert all("personal" not in c and "external_ref" not in c for c in blind)
    assert "Candidate" not in str(blind)

    draft = score(client, panel, panel.lead, first, {"V1": 3, "V2": 2}, submit=False)
    assert draft["status"] == "draft" and draft["missing"] == ["V3", "V4"]
    view = f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/candidates/{first['id']}/scores"
    early = client.get(view, headers=panel.lead)
    assert early.status_code == 403 and early.json()["type"].endswith("/submit-your-own-first")

    score(client, panel, panel.lead, first, {"V1": 3, "V2": 2, "V3": 3, "V4": 4})
    alone = client.get(view, headers=panel.lead).json()
    assert [s["assessor"] for s in alone["sheets"]] == ["lead-assessor"]
    assert client.get(view, headers=panel.second).status_code == 403
    score(client, panel, panel.second, first, {"V1": 1, "V2": 2, "V3": 3, "V4": 3})
    both = client.get(view, headers=panel.second).json()
    assert sorted(s["assessor"] for s in both["sheets"]) == ["lead-assessor", "second-assessor"]
    assert {(f["criterion"], f["kind"]) for f in both["flags"]} == {("V1", "range"), ("V1", "threshold")}

    score(client, panel, panel.lead, second, {"V1": 4, "V2": 4, "V3": 4, "V4": 4})
    score(client, panel, panel.second, second, {"V1": 4, "V2": 3, "V3": 4, "V4": 4})
    score(client, panel, panel.lead, third, {"V1": 2, "V2": 2, "V3": None, "V4": 2})
    score(client, panel, panel.second, third, {"V1": 2, "V2": 2, "V3": 1, "V4": 2})

    results = client.get(f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/results", headers=panel.admin)
    assert results.status_code == 200, results.text
    rows = {r["candidate_code"]: r for r in results.json()["candidates"]}
    top = rows[second["code"]]
    assert top["rank"] == 1 and top["appointable"] and top["sheets_submitted"] == 2
    # First: V1 (3, 1) averages 2, the minimum per value; weighted mean (2*2 + 2 + 3 + 3.5) / 5 = 2.5.
    assert rows[first["code"]]["appointable"] and rows[first["code"]]["weighted_mean"] == 2.5
    assert rows[first["code"]]["rank"] == 2
    low = rows[third["code"]]
    assert low["appointable"] is False and any("V3" in reason for reason in low["reasons"]), low["reasons"]
    v3 = next(c for c in low["criteria"] if c["criterion"] == "V3")
    assert (v3["mean"], v3["n_scores"], v3["n_not_evidenced"]) == (1, 1, 1)
    reliability = client.get(
        f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/reliability", headers=panel.admin
    )
    assert reliability.status_code == 200, reliability.text
    assert reliability.json()["design"] == "fully_crossed"
    assert {c["name"] for c in reliability.json()["coefficients"]} >= {"ICC(2,1)", "ICC(2,k)"}

    queue = client.get(f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/moderation", headers=panel.lead)
    # Third: one assessor found no evidence for V3 where the other scored it, a divergence too.
    assert sorted(q["candidate_code"] for q in queue.json()) == sorted([first["code"], third["code"]])
    sheet_id = next(s["id"] for s in both["sheets"] if s["assessor"] == "second-assessor")
    amended = client.post(
        f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/amendments",
        json={
            "sheet_id": sheet_id,
            "criterion": "V1",
            "score": 2,
            "reason": "Panel agreed the example met the anchor for 2.",
        },
        headers=panel.lead,
    )
    assert amended.status_code == 201, amended.text
    assert amended.json()["previous_score"] == 1
    refused = client.post(
        f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/amendments",
        json={"sheet_id": sheet_id, "criterion": "V1", "score": 3, "reason": "I think so."},
        headers=panel.second,
    )
    assert refused.status_code == 403
    after = client.get(view, headers=panel.admin).json()
    second_sheet = next(s for s in after["sheets"] if s["assessor"] == "second-assessor")
    v1 = next(s for s in second_sheet["scores"] if s["criterion"] == "V1")
    assert (v1["score"], v1["raw_score"], v1["amended"]) == (2, 1, True)

    decision = client.post(
        f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/decisions",
        json={"candidate_id": second["id"], "outcome": "appoint", "reason": "Ranked first."},
        headers=panel.admin,
    )
    assert decision.status_code == 201, decision.text
    csv_text = client.get(
        f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/results.csv", headers=panel.admin
    ).text
    assert csv_text.splitlines()[0].startswith("candidate_code,rank")
    assert "Candidate 1" not in csv_text


def test_candidate_data_protection(client, keys):
    panel = ready_panel(client, keys, org="NIAS")
    candidate = panel.candidates[0]
    score(client, panel, panel.lead, candidate, {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    equality = client.put(
        f"/vacancies/{panel.vacancy['id']}/candidates/{candidate['id']}/equality",
        json={"community_background": "neither", "sex": "female"},
        headers=keys.headers("equality:write", org="NIAS"),
    )
    assert equality.status_code == 204
    url = f"/vacancies/{panel.vacancy['id']}/candidates/{candidate['id']}/subject-access"
    without = client.get(url, headers=panel.admin).json()
    assert without["equality_monitoring"] is None and without["equality_monitoring_withheld"] is True
    full = keys.headers("recruitment:read", "recruitment:admin", "equality:read", org="NIAS", subject="dpo")
    export = client.get(url, headers=full).json()
    assert export["personal_details"][0]["name"] == "Candidate 0"
    assert export["equality_monitoring"][0]["community_background"] == "neither"
    assert export["score_sheets"][0]["scores"]
    erased = client.post(f"/vacancies/{panel.vacancy['id']}/candidates/{candidate['id']}/erasure", headers=panel.admin)
    assert erased.status_code == 204
    export = client.get(url, headers=full).json()
    assert export["personal_details"] == [] and export["equality_monitoring"] == [] and export["evidence"] == []
    assert [s["score"] for s in export["score_sheets"][0]["scores"]] == [3, 3, 3, 3]
    assert (
        client.post(
            f"/vacancies/{panel.vacancy['id']}/candidates/{candidate['id']}/erasure", headers=panel.admin
        ).status_code
        == 409
    )
    _ = sheet_url, admin_headers


def test_results_page_in_rank_order(client, keys):
    panel = ready_panel(client, keys, org="NISCC", candidates=5)
    for i, candidate in enumerate(panel.candidates):
        level = 1 + i % 4
        score(client, panel, panel.lead, candidate, {"V1": level, "V2": level, "V3": level, "V4": level})
    url = f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/results"
    seen, page = [], client.get(url, params={"limit": 2}, headers=panel.admin).json()
    while True:
        seen += [(r["rank"], r["candidate_code"]) for r in page["candidates"]]
        if not page["next"]:
            break
        page = client.get(page["next"], headers=panel.admin).json()
    everything = client.get(url, headers=panel.admin).json()["candidates"]
    assert seen == [(r["rank"], r["candidate_code"]) for r in everything] and len(seen) == 5
    assert [rank for rank, _ in seen] == sorted(rank for rank, _ in seen)


def test_candidate_feedback_withholds_cohort_figures_in_a_small_cohort(client, keys):
    small = ready_panel(client, keys, org="SPPG", candidates=2)
    for candidate in small.candidates:
        score(client, small, small.lead, candidate, {"V1": 3, "V2": 2, "V3": 3, "V4": 4})
    url = f"/vacancies/{small.vacancy['id']}/candidates/{small.candidates[0]['id']}/feedback"
    withheld = client.get(url, params={"stage": small.stage["id"]}, headers=small.admin).json()
    assert withheld["cohort_withheld"] is True and withheld["cohort_size"] is None
    assert [(v["criterion"], v["your_score"], v["cohort_mean"]) for v in withheld["values"]] == [
        ("V1", 3, None),
        ("V2", 2, None),
        ("V3", 3, None),
        ("V4", 4, None),
    ]

    large = ready_panel(client, keys, org="SPPG", candidates=3)  # the test app's minimum cohort is 3
    for level, candidate in zip((1, 2, 3), large.candidates, strict=True):
        score(client, large, large.lead, candidate, {"V1": level, "V2": level, "V3": level, "V4": level})
    url = f"/vacancies/{large.vacancy['id']}/candidates/{large.candidates[0]['id']}/feedback"
    shown = client.get(url, params={"stage": large.stage["id"]}, headers=large.admin).json()
    assert shown["cohort_withheld"] is False and shown["cohort_size"] == 3
    v1 = shown["values"][0]
    assert (v1["your_score"], v1["cohort_mean"], v1["cohort_spread"]) == (1, 2, 2)


def test_retention_purge_erases_closed_vacancies_past_their_period(client, keys, recruitment_app):
    from datetime import timedelta

    from sqlmodel import Session, select

    from recruitment_api.candidates.models import Candidate, CandidatePersonal
    from recruitment_api.privacy.service import purge_expired
    from recruitment_api.vacancies.models import Vacancy
    from servicekit.audit import utcnow
    from servicekit.auth import Principal

    panel = ready_panel(client, keys, org="NIMDTA")
    for candidate in panel.candidates:
        score(client, panel, panel.lead, candidate, {"V1": 2, "V2": 2, "V3": 2, "V4": 2})
    for status in ("decided", "closed"):
        assert (
            client.post(
                f"/vacancies/{panel.vacancy['id']}/status", json={"status": status}, headers=panel.admin
            ).status_code
            == 200
        )
    purger = Principal(subject="retention-purge", org="NIMDTA", scopes=frozenset())
    with Session(recruitment_app.state.engine) as session:
        vacancy = session.exec(select(Vacancy).where(Vacancy.org == "NIMDTA")).first()
        assert purge_expired(session, purger) == 0  # still within its retention period
        later = utcnow() + timedelta(days=vacancy.retention_days + 1)
        assert purge_expired(session, purger, now=later) == len(panel.candidates)
        session.commit()
        ids = [c.id for c in session.exec(select(Candidate).where(Candidate.vacancy_id == vacancy.id))]
        assert session.exec(select(CandidatePersonal).where(CandidatePersonal.candidate_id.in_(ids))).all() == []
    results = client.get(f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/results", headers=panel.admin)
    assert len(results.json()["candidates"]) == len(panel.candidates), "pseudonymised scores are kept"


def test_vacancy_list_counts_each_vacancys_candidates(client, keys):
    two = ready_panel(client, keys, org="PHA", candidates=2)
    four = ready_panel(client, keys, org="PHA", candidates=4)
    listed = {v["id"]: v["candidate_count"] for v in client.get("/vacancies", headers=two.admin).json()["items"]}
    assert listed[two.vacancy["id"]] == 2 and listed[four.vacancy["id"]] == 4

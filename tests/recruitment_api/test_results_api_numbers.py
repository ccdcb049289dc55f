"""Results and reliability through the API, issue 6: numbers that were wrong or unexplained."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from recruitment_support import admin_headers, assessor_headers
from sqlmodel import Session, select

from recruitment_api.results.models import ReliabilityPublic, StageResultsPublic
from recruitment_api.scoring import service as scoring
from recruitment_api.scoring.models import Score, ScoreSheet
from recruitment_api.scoring.tallies import tally
from recruitment_api.vacancies.models import Criterion, Stage, StageCriterion

ORG = "SHSCT"
ASSESSORS = ("numbers-a", "numbers-b", "numbers-c")


@dataclass
class ScoringStage:
    base: str  # /vacancies/{id}
    stage: str  # /vacancies/{id}/stages/{id}
    candidates: list[dict]
    admin: dict


def scoring_stage(client, keys, criteria, stage, candidates=2, assessors=ASSESSORS) -> ScoringStage:
    """A vacancy with inline criteria and one scored stage, its panel, candidates, in scoring."""
    admin = admin_headers(keys, ORG)
    vacancy = client.post("/vacancies", json={"title": "Numbers", "criteria": criteria}, headers=admin)
    assert vacancy.status_code == 201, vacancy.text
    base = f"/vacancies/{vacancy.json()['id']}"
    etag = client.get(f"{base}/design", headers=admin).headers["etag"]
    design = client.put(f"{base}/design", json={"stages": [stage]}, headers={**admin, "If-Match": etag})
    assert design.status_code == 200, design.text
    stage_url = f"{base}/stages/{design.json()['stages'][0]['id']}"
    people = [{"name": f"Numbers {i}"} for i in range(candidates)]
    imported = client.post(f"{base}/candidates/import", json={"candidates": people}, headers=admin)
    assert imported.status_code == 201, imported.text
    members = [{"assessor": a, "is_lead": i == 0} for i, a in enumerate(assessors)]
    assert client.put(f"{stage_url}/panel", json={"members": members}, headers=admin).status_code == 200
    for status in ("open", "scoring"):
        assert client.post(f"{base}/status", json={"status": status}, headers=admin).status_code == 200
    return ScoringStage(base, stage_url, imported.json()["candidates"], admin)


def submit(client, keys, stage: ScoringStage, assessor: str, candidate: dict, scores: dict) -> None:
    headers = assessor_headers(keys, assessor, ORG)
    url = f"{stage.stage}/candidates/{candidate['id']}/sheet"
    body = {
        "scores": [
            {"criterion": c, "score": s} if s is not None else {"criterion": c, "not_evidenced": True}
            for c, s in scores.items()
        ]
    }
    assert client.put(url, json=body, headers=headers).status_code == 200
    submitted = client.post(url + "/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text


def results(client, stage: ScoringStage) -> dict[str, dict]:
    response = client.get(f"{stage.stage}/results", headers=stage.admin)
    assert response.status_code == 200, response.text
    # Everything in the body is in the documented schema, and nothing else.
    assert StageResultsPublic.model_validate(response.json()).model_dump(mode="json") == response.json()
    return {row["candidate_code"]: row for row in response.json()["candidates"]}


VALUES_AND_AN_ESSENTIAL = [
    {"code": "V1", "statement": "Working together"},
    {"code": "V2", "statement": "Compassion"},
    {"code": "E1", "kind": "essential", "statement": "NMC registration"},
]


def test_an_essential_criterion_is_not_a_value(client, keys):
    """Three sheets V1 3, V2 3, E1 2/2/3 with min_per_value 2.5 were refused for "value E1"."""
    stage = scoring_stage(
        client,
        keys,
        VALUES_AND_AN_ESSENTIAL,
        {
            "name": "Interview",
            "kind": "interview",
            "min_per_value": 2.5,
            "criteria": [{"criterion": "V1"}, {"criterion": "V2"}, {"criterion": "E1"}],
        },
        candidates=1,
    )
    (candidate,) = stage.candidates
    for assessor, e1 in zip(ASSESSORS, (2, 2, 3), strict=True):
        submit(client, keys, stage, assessor, candidate, {"V1": 3, "V2": 3, "E1": e1})
    row = results(client, stage)[candidate["code"]]
    assert row["appointable"] is True, row["reasons"]
    assert row["value_means"] == {"V1": 3, "V2": 3}
    # E1 is an essential by its kind: reported and tested against the interview's pass mark of 2.
    assert row["essentials"] == [{"criterion": "E1", "mean": 7 / 3, "pass_mark": 2, "met": True}]
    assert row["essentials_met"] is True


def test_an_assessor_finding_no_evidence_where_another_scored_is_flagged(client, keys):
    two = ASSESSORS[:2]
    stage = scoring_stage(
        client,
        keys,
        [{"code": "V1", "statement": "Working together"}, {"code": "V2", "statement": "Compassion"}],
        {"name": "Interview", "kind": "interview", "criteria": [{"criterion": "V1"}, {"criterion": "V2"}]},
        candidates=1,
        assessors=two,
    )
    (candidate,) = stage.candidates
    submit(client, keys, stage, two[0], candidate, {"V1": 3, "V2": 3})
    submit(client, keys, stage, two[1], candidate, {"V1": 3, "V2": None})
    wanted = {
        "criterion": "V2",
        "kind": "evidence",
        "detail": "1 of 2 assessors found no evidence; the mean rests on 1 score.",
    }
    lead = assessor_headers(keys, two[0], ORG)
    view = client.get(f"{stage.stage}/candidates/{candidate['id']}/scores", headers=lead)
    assert view.status_code == 200 and view.json()["flags"] == [wanted], view.text
    queue = client.get(f"{stage.stage}/moderation", headers=lead).json()
    assert [(q["candidate_code"], q["flags"]) for q in queue] == [(candidate["code"], [wanted])]
    row = results(client, stage)[candidate["code"]]
    assert row["flags"] == ["V2: 1 of 2 assessors found no evidence; the mean rests on 1 score."]
    v2 = next(c for c in row["criteria"] if c["criterion"] == "V2")
    assert (v2["mean"], v2["n_scores"], v2["n_not_evidenced"]) == (3, 1, 1)
    csv = client.get(f"{stage.stage}/results.csv", headers=stage.admin).text.splitlines()
    header, line = csv[0].split(","), csv[1].split(",")
    assert line[header.index("evidenced:V2")] == "1 of 2"


def test_reliability_and_results_cover_the_same_candidates(client, keys):
    """A withdrawn candidate's sheets were in reliability but not in results."""
    stage = scoring_stage(
        client,
        keys,
        [{"code": "V1", "statement": "Working together"}],
        {"name": "Interview", "kind": "interview", "criteria": [{"criterion": "V1"}]},
        candidates=4,
        assessors=ASSESSORS[:2],
    )
    for candidate, (a, b) in zip(stage.candidates, [(1, 1), (2, 3), (4, 4), (4, 1)], strict=True):
        submit(client, keys, stage, ASSESSORS[0], candidate, {"V1": a})
        submit(client, keys, stage, ASSESSORS[1], candidate, {"V1": b})
    withdrawn = stage.candidates[3]
    assert client.post(f"{stage.base}/candidates/{withdrawn['id']}/withdraw", headers=stage.admin).status_code == 200
    listed = results(client, stage)
    assert withdrawn["code"] not in listed
    reliability = client.get(f"{stage.stage}/reliability", headers=stage.admin).json()
    assert {c["n_candidates"] for c in reliability["coefficients"]} == {len(listed)}
    assert sum(e["n"] for e in reliability["leniency"]) == 2 * len(listed)
    assert reliability["flagged_candidates"] == 0  # the withdrawn candidate's 4 against 1 no longer counts


def test_reliability_gives_intervals_and_a_reason_beside_every_null(client, keys):
    stage = scoring_stage(
        client,
        keys,
        [{"code": "V1", "statement": "Working together"}],
        {"name": "Interview", "kind": "interview", "criteria": [{"criterion": "V1"}]},
        candidates=4,
        assessors=ASSESSORS[:2],
    )
    # Assessors who disagree more than the candidates differ: no ICC to claim.
    for candidate, (a, b) in zip(stage.candidates, [(2, 4), (4, 2), (3, 2), (2, 4)], strict=True):
        submit(client, keys, stage, ASSESSORS[0], candidate, {"V1": a})
        submit(client, keys, stage, ASSESSORS[1], candidate, {"V1": b})
    body = client.get(f"{stage.stage}/reliability", headers=stage.admin).json()
    assert ReliabilityPublic.model_validate(body).model_dump(mode="json") == body
    for coefficient in body["coefficients"]:
        assert coefficient["value"] is None and "outside -1 to 1" in coefficient["reason"], coefficient
        assert coefficient["ci95"] is None and coefficient["ci95_reason"]


def test_a_total_over_unscored_criteria_is_marked_incomplete(client, keys):
    criteria = [{"code": f"V{n}", "statement": f"Value {n}"} for n in (1, 2, 3)]
    stage = scoring_stage(
        client,
        keys,
        criteria,
        {"name": "Interview", "kind": "interview", "criteria": [{"criterion": c["code"]} for c in criteria]},
        candidates=2,
        assessors=ASSESSORS[:2],
    )
    full, gap = stage.candidates
    for assessor in ASSESSORS[:2]:
        submit(client, keys, stage, assessor, full, {"V1": 2, "V2": 2, "V3": 2})
        submit(client, keys, stage, assessor, gap, {"V1": 4, "V2": 4, "V3": None})
    rows = results(client, stage)
    assert (rows[full["code"]]["weighted_total_complete"], rows[full["code"]]["unscored_criteria"]) == (True, [])
    assert rows[gap["code"]]["weighted_total"] == 8  # beside 6 for a candidate scored on all three
    assert (rows[gap["code"]]["weighted_total_complete"], rows[gap["code"]]["unscored_criteria"]) == (False, ["V3"])


def test_the_new_result_fields_are_documented(recruitment_app):
    schemas = recruitment_app.openapi()["components"]["schemas"]
    row = schemas["CandidateResultPublic"]["properties"]
    for name in ("essentials", "essentials_met", "weighted_total_complete", "unscored_criteria", "value_means"):
        assert row[name].get("description"), name
    criterion = schemas["CriterionResultPublic"]["properties"]
    assert "evidence" in criterion["n_scores"]["description"]
    coefficient = schemas["CoefficientPublic"]["properties"]
    for name in ("value", "reason", "ci95", "ci95_reason"):
        assert coefficient[name].get("description"), name
    assert "outside -1 to 1" in coefficient["value"]["description"]
    assert "evidence" in schemas["DivergencePublic"]["properties"]["kind"]["description"]


def test_database_aggregates_equal_the_scores_that_count_after_moderation(client, keys, recruitment_app):
    """The results aggregate raw scores in SQL and redo moderated candidates in Python: both agree
    with tallying every score that counts, one by one, and so do the assessors' weighted means."""
    criteria = [{"code": f"K{n}", "statement": f"Criterion {n}"} for n in (1, 2, 3)]
    stage = scoring_stage(
        client,
        keys,
        criteria,
        {
            "name": "Interview",
            "kind": "interview",
            "criteria": [{"criterion": "K1", "weight": 2}, {"criterion": "K2", "weight": 0.5}, {"criterion": "K3"}],
        },
        candidates=4,
    )
    plan = [(1, 2, None), (4, 4, 3), (2, None, 1), (3, 3, 3)]
    for i, candidate in enumerate(stage.candidates):
        for j, assessor in enumerate(ASSESSORS):
            k1, k2, k3 = plan[(i + j) % len(plan)]
            submit(client, keys, stage, assessor, candidate, {"K1": k1, "K2": k2, "K3": k3})
    lead = assessor_headers(keys, ASSESSORS[0], ORG)

    def sheet_id(i, assessor):
        view = client.get(f"{stage.stage}/candidates/{stage.candidates[i]['id']}/scores", headers=lead).json()
        return next(s["id"] for s in view["sheets"] if s["assessor"] == assessor)

    amendments = [
        (0, ASSESSORS[1], {"criterion": "K2", "not_evidenced": True}),  # a score becomes not evidenced
        (0, ASSESSORS[2], {"criterion": "K3", "score": 4}),
        (1, ASSESSORS[1], {"criterion": "K1", "score": 1}),
        (1, ASSESSORS[1], {"criterion": "K1", "score": 2}),  # the latest amendment counts
    ]
    for i, assessor, change in amendments:
        body = {"sheet_id": sheet_id(i, assessor), "reason": "Agreed at the wash-up.", **change}
        amended = client.post(f"{stage.stage}/amendments", json=body, headers=lead)
        assert amended.status_code == 201, amended.text

    with Session(recruitment_app.state.engine) as session:
        row = session.exec(select(Stage).where(Stage.uid == uuid.UUID(stage.stage.rsplit("/", 1)[1]))).one()
        codes = dict(
            session.exec(select(Criterion.id, Criterion.code).where(Criterion.vacancy_id == row.vacancy_id)).all()
        )
        weights = dict(
            session.exec(
                select(StageCriterion.criterion_id, StageCriterion.weight).where(StageCriterion.stage_id == row.id)
            ).all()
        )
        one_by_one = scoring.effective_scores(session, row)
        assert scoring.criterion_tallies(session, row).as_tallies() == {
            c: {codes[k]: tally(given) for k, given in by_criterion.items()} for c, by_criterion in one_by_one.items()
        }
        expected_means = {}
        for c, by_criterion in one_by_one.items():
            for assessor in ASSESSORS:
                pairs = [
                    (weights[k], given[assessor]) for k, given in by_criterion.items() if given[assessor] is not None
                ]
                expected_means[(c, assessor)] = sum(w * s for w, s in pairs) / sum(w for w, _ in pairs)
        got = {(c, a): mean for c, a, mean in scoring.assessor_means(session, row)}
        assert got == {key: pytest.approx(mean) for key, mean in expected_means.items()}
    # And the amendment is visible in the numbers: candidate 1's K2 now rests on fewer scores.
    k2 = next(c for c in results(client, stage)[stage.candidates[0]["code"]]["criteria"] if c["criterion"] == "K2")
    assert k2["n_not_evidenced"] == 2


def test_a_stray_score_on_a_criterion_outside_the_stage_is_ignored(client, keys, recruitment_app):
    """Only the stage's criteria count, even if the database holds a score on another one."""
    criteria = [{"code": "K1", "statement": "One"}, {"code": "K2", "statement": "Two"}]
    stage = scoring_stage(
        client,
        keys,
        criteria,
        {"name": "Interview", "kind": "interview", "criteria": [{"criterion": "K1"}]},
        candidates=1,
        assessors=ASSESSORS[:2],
    )
    (candidate,) = stage.candidates
    for assessor in ASSESSORS[:2]:
        submit(client, keys, stage, assessor, candidate, {"K1": 3})
    with Session(recruitment_app.state.engine) as session:
        row = session.exec(select(Stage).where(Stage.uid == uuid.UUID(stage.stage.rsplit("/", 1)[1]))).one()
        other = session.exec(
            select(Criterion).where(Criterion.vacancy_id == row.vacancy_id, Criterion.code == "K2")
        ).one()
        sheet = session.exec(select(ScoreSheet).where(ScoreSheet.stage_id == row.id)).first()
        session.add(Score(sheet_id=sheet.id, criterion_id=other.id, score=1))
        session.commit()
        assert scoring.criterion_tallies(session, row).codes == ("K1",)
    listed = results(client, stage)[candidate["code"]]
    assert [c["criterion"] for c in listed["criteria"]] == ["K1"] and listed["weighted_mean"] == 3

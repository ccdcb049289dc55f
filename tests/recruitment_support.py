"""Builders for recruitment tests: a vacancy ready for scoring, with its panel and candidates."""

from __future__ import annotations

from dataclasses import dataclass

SEEDED_VERSION = "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef"  # HSC Collective Leadership Framework 1.0.0
ADMIN_SCOPES = ("recruitment:read", "recruitment:admin")
ASSESSOR_SCOPES = ("recruitment:read", "recruitment:score")


@dataclass
class Panel:
    vacancy: dict
    stage: dict
    candidates: list[dict]
    admin: dict
    lead: dict
    second: dict
    org: str


def admin_headers(keys, org="SEHSCT"):
    return keys.headers(*ADMIN_SCOPES, org=org, subject=f"admin-{org}")


def assessor_headers(keys, name, org="SEHSCT"):
    return keys.headers(*ASSESSOR_SCOPES, org=org, subject=name)


def create_vacancy(client, keys, org="SEHSCT", **overrides):
    body = {
        "title": "Ward Sister",
        "band": "Band 7",
        "framework_version_id": SEEDED_VERSION,
        "values": ["V1", "V2", "V3", "V4"],
        **overrides,
    }
    response = client.post("/vacancies", json=body, headers=admin_headers(keys, org))
    assert response.status_code == 201, response.text
    return response.json()


def design(client, keys, vacancy, org="SEHSCT", stages=None):
    headers = admin_headers(keys, org)
    etag = client.get(f"/vacancies/{vacancy['id']}/design", headers=headers).headers["etag"]
    weighted = [{"criterion": c, "weight": 2 if c == "V1" else 1} for c in ("V1", "V2", "V3", "V4")]
    stages = stages or [
        {"name": "Interview", "kind": "interview", "min_weighted_mean": 2.0, "min_per_value": 2, "criteria": weighted}
    ]
    response = client.put(
        f"/vacancies/{vacancy['id']}/design", json={"stages": stages}, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    return response.json()


def ready_panel(client, keys, org="SEHSCT", candidates=3, lead="lead-assessor", second="second-assessor") -> Panel:
    vacancy = create_vacancy(client, keys, org)
    stage = design(client, keys, vacancy, org)["stages"][0]
    admin = admin_headers(keys, org)
    people = [
        {
            "name": f"Candidate {i}",
            "email": f"c{i}@example.org",
            "external_ref": f"R{i}",
            "evidence": [{"title": "Working together", "text": f"Answer {i}"}],
        }
        for i in range(candidates)
    ]
    imported = client.post(f"/vacancies/{vacancy['id']}/candidates/import", json={"candidates": people}, headers=admin)
    assert imported.status_code == 201, imported.text
    panel = client.put(
        f"/vacancies/{vacancy['id']}/stages/{stage['id']}/panel",
        headers=admin,
        json={"members": [{"assessor": lead, "name": "Lead", "is_lead": True}, {"assessor": second, "name": "Second"}]},
    )
    assert panel.status_code == 200, panel.text
    for status in ("open", "scoring"):
        moved = client.post(f"/vacancies/{vacancy['id']}/status", json={"status": status}, headers=admin)
        assert moved.status_code == 200, moved.text
    return Panel(
        vacancy,
        stage,
        imported.json()["candidates"],
        admin,
        assessor_headers(keys, lead, org),
        assessor_headers(keys, second, org),
        org,
    )


def sheet_url(panel: Panel, candidate: dict) -> str:
    return f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/candidates/{candidate['id']}/sheet"


def score(client, panel: Panel, headers, candidate, scores: dict, submit=True):
    body = {
        "scores": [
            {"criterion": c, "score": s} if s is not None else {"criterion": c, "not_evidenced": True}
            for c, s in scores.items()
        ]
    }
    saved = client.put(sheet_url(panel, candidate), json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    if submit:
        submitted = client.post(sheet_url(panel, candidate) + "/submit", headers=headers)
        assert submitted.status_code == 200, submitted.text
        return submitted.json()
    return saved.json()

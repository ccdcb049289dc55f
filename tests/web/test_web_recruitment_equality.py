"""The adverse-impact report: only holders of the equality role get the link or the page; small
groups are suppressed ("fewer than 5") and impact ratios below the threshold are highlighted."""

from __future__ import annotations

import pytest
from recruitment_support import admin_headers, create_vacancy, design

ORG = "SEHSCT"


@pytest.fixture
def decided_stage(recruitment_services, keys):
    """A stage with decisions for 26 candidates: 12 Protestant (7 progressed), 12 Roman Catholic
    (5 progressed: a ratio of 0.71, flagged) and 2 who answered neither (suppressed)."""
    api = recruitment_services["api"]
    admin = admin_headers(keys, ORG)
    vacancy = create_vacancy(api, keys, ORG)
    stage = design(api, keys, vacancy, ORG)["stages"][0]
    people = [{"name": f"Person {i}", "external_ref": f"EQ-{i}"} for i in range(26)]
    candidates = api.post(
        f"/vacancies/{vacancy['id']}/candidates/import", json={"candidates": people}, headers=admin
    ).json()["candidates"]
    for status in ("open", "scoring"):
        api.post(f"/vacancies/{vacancy['id']}/status", json={"status": status}, headers=admin)
    channel = keys.headers("equality:write", org=ORG, subject="candidate-portal")
    plan = [("protestant", i < 7) for i in range(12)] + [("roman_catholic", i < 5) for i in range(12)]
    plan += [("neither", True), ("neither", False)]
    for candidate, (background, selected) in zip(candidates, plan, strict=True):
        recorded = api.put(
            f"/vacancies/{vacancy['id']}/candidates/{candidate['id']}/equality",
            json={"community_background": background, "sex": "female"},
            headers=channel,
        )
        assert recorded.status_code == 204, recorded.text
        decided = api.post(
            f"/vacancies/{vacancy['id']}/stages/{stage['id']}/decisions",
            json={"candidate_id": candidate["id"], "outcome": "progress" if selected else "reject", "reason": "Panel"},
            headers=admin,
        )
        assert decided.status_code == 201, decided.text
    return vacancy, stage


def test_only_the_equality_role_gets_the_report_or_its_link(decided_stage, browser_as):
    vacancy, stage = decided_stage
    url = f"/recruitment/vacancies/{vacancy['id']}/stages/{stage['id']}/adverse-impact"
    recruiter = browser_as("recruiter", org=ORG, roles=("recruitment_admin", "assessor"))
    assert url not in recruiter.get(f"/recruitment/vacancies/{vacancy['id']}").text
    refused = recruiter.get(url)
    assert refused.status_code == 403 and "You do not have access to this page" in refused.text
    assert browser_as("assessor", org=ORG, roles=("assessor",)).get(url).status_code == 403

    officer = browser_as("officer", org=ORG, roles=("equality_officer",))
    assert f'href="{url}"' in officer.get(f"/recruitment/vacancies/{vacancy['id']}").text
    assert officer.get(url).status_code == 200


def test_the_report_suppresses_small_groups_and_highlights_low_ratios(decided_stage, browser_as):
    vacancy, stage = decided_stage
    url = f"/recruitment/vacancies/{vacancy['id']}/stages/{stage['id']}/adverse-impact"
    officer = browser_as("officer", org=ORG, roles=("equality_officer",))
    page = officer.get(url)
    assert page.status_code == 200
    assert "Protestant" in page.text and "Roman catholic" in page.text
    assert "58%" in page.text and "42%" in page.text  # 7 of 12, 5 of 12
    assert "0.71" in page.text and "collective-flagged-ratio" in page.text and "Below 0.8" in page.text
    neither = page.text.split("Neither")[1].split("</tr>")[0]
    assert "fewer than 5" in neither and '<td class="nhsuk-table__cell">2</td>' not in neither

    fragment = officer.get(url, params={"category": "sex"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Sex: selection rates" in fragment.text
    unknown = officer.get(url, params={"category": "shoe_size"})
    assert unknown.status_code == 200 and "Community background: selection rates" in unknown.text

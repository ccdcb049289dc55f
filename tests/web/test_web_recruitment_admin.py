"""Recruitment admins' pages against the real recruitment-api and framework-api in process:
vacancies, creating one from a published framework version, the design with If-Match, panels,
status changes, candidate import, results and ranking, CSV export, reliability and decisions."""

from __future__ import annotations

import html
import re

import pytest
from recruitment_support import admin_headers, create_vacancy, design, ready_panel, score

ORG = "SEHSCT"
NAMES = re.compile(r"Candidate \d|c\d@example\.org")


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def admin(browser_as):
    return browser_as("recruiter", org=ORG, roles=("recruitment_admin",), display_name="Rita Recruiter")


@pytest.fixture
def api(recruitment_services):
    return recruitment_services["api"]


def vacancy_page(vacancy: dict) -> str:
    return f"/recruitment/vacancies/{vacancy['id']}"


def test_the_vacancy_list_and_page_show_stages_and_codes_never_names(admin, api, keys):
    ready = ready_panel(api, keys, org=ORG)
    listing = admin.get("/recruitment/vacancies")
    assert listing.status_code == 200
    assert f'href="{vacancy_page(ready.vacancy)}">Ward Sister</a>' in listing.text
    fragment = admin.get("/recruitment/vacancies?status=scoring", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Ward Sister" in fragment.text
    assert "Ward Sister" not in admin.get("/recruitment/vacancies?status=closed").text

    page = admin.get(vacancy_page(ready.vacancy))
    assert page.status_code == 200
    assert "<h1>Ward Sister</h1>" in page.text and "HSC Collective Leadership Framework, version 1.0.0" in page.text
    stage = f"{vacancy_page(ready.vacancy)}/stages/{ready.stage['id']}"
    for link in ("/panel", "/results", "/results.csv", "/reliability", "/moderation"):
        assert f'href="{stage}{link}"' in page.text, link
    assert f'href="{stage}/adverse-impact"' not in page.text  # not an equality officer
    assert "Mark as decided" in page.text and "Close the vacancy" not in page.text  # only the next status
    for candidate in ready.candidates:
        assert candidate["code"] in page.text
    assert not NAMES.search(page.text)


def test_creating_a_vacancy_from_a_published_framework_version(admin, api):
    form = admin.get("/recruitment/vacancies/new")
    assert form.status_code == 200
    assert "HSC Collective Leadership Framework, version 1.0.0" in form.text
    for code, value in (("V1", "Working Together"), ("V4", "Compassion")):
        assert f'value="{code}" checked' in form.text and value in form.text
    version = re.search(r'<option value="([0-9a-f-]{36})" selected>', form.text).group(1)
    values = admin.get(
        "/recruitment/vacancies/new", params={"framework_version_id": version}, headers={"HX-Request": "true"}
    )
    assert values.status_code == 200 and "<html" not in values.text and 'name="values"' in values.text

    token, key = csrf_from(form.text), re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
    missing = admin.post("/recruitment/vacancies", data={"csrf_token": token, "framework_version_id": version})
    assert missing.status_code == 422
    assert "Enter the title of the post" in missing.text and "Choose at least one value to score" in missing.text

    body = {
        "csrf_token": token,
        "idempotency_key": key,
        "title": "Deputy Ward Manager",
        "band": "Band 6",
        "staff_group": "Nursing and Midwifery",
        "closing_date": "2026-12-18",
        "framework_version_id": version,
        "values": ["V1", "V3"],
    }
    created = admin.post("/recruitment/vacancies", data=body)
    assert created.status_code == 303, created.text
    again = admin.post("/recruitment/vacancies", data=body)  # a double click replays, not a second vacancy
    assert again.headers["location"] == created.headers["location"]
    page = admin.get(created.headers["location"])
    assert "The vacancy is created" in page.text and "Deputy Ward Manager" in page.text
    assert "Working Together" in page.text and "Openness and Honesty" in page.text and "Compassion" not in page.text
    assert "Design the assessment" in page.text and "18 December 2026" in page.text

    unknown = admin.post(
        "/recruitment/vacancies",
        data={**body, "idempotency_key": "", "framework_version_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert unknown.status_code == 422 and "No published framework version with that id" in unknown.text

    bad_date = admin.post("/recruitment/vacancies", data={**body, "idempotency_key": "", "closing_date": "31/02"})
    assert bad_date.status_code == 422 and "real date" in bad_date.text


def test_the_design_is_saved_with_if_match_and_locks_after_the_first_score(admin, api, keys, browser_as):
    vacancy = create_vacancy(api, keys, ORG)
    form = admin.get(f"{vacancy_page(vacancy)}/design")
    assert form.status_code == 200
    etag = html.unescape(re.search(r'name="etag" value="([^"]+)"', form.text).group(1))
    token = csrf_from(form.text)
    body = {
        "csrf_token": token,
        "etag": etag,
        "stage_count": "2",
        "stage-0-name": "Interview",
        "stage-0-kind": "interview",
        "stage-0-criteria": ["V1", "V2", "V3", "V4"],
        "stage-0-weight-V1": "2",
        "stage-0-weight-V2": "1",
        "stage-0-weight-V3": "1",
        "stage-0-weight-V4": "1",
        "stage-0-min_weighted_mean": "2.5",
        "stage-0-min_per_value": "2",
        "stage-0-essentials_required": "yes",
        "stage-1-name": "",
    }
    bad = admin.post(f"{vacancy_page(vacancy)}/design", data={**body, "stage-0-weight-V1": "0"})
    assert bad.status_code == 422 and "The weight of V1 in stage 1 must be more than 0" in bad.text
    added = admin.post(f"{vacancy_page(vacancy)}/design", data={**body, "action": "add"})
    assert added.status_code == 200 and 'name="stage-2-name"' in added.text  # one more stage, nothing saved

    saved = admin.post(f"{vacancy_page(vacancy)}/design", data={**body, "action": "save"})
    assert saved.status_code == 303, saved.text
    stored = api.get(f"/vacancies/{vacancy['id']}/design", headers=admin_headers(keys, ORG)).json()
    [stage] = stored["stages"]
    assert stage["name"] == "Interview" and stage["min_weighted_mean"] == 2.5
    assert {c["criterion"]: c["weight"] for c in stage["criteria"]} == {"V1": 2, "V2": 1, "V3": 1, "V4": 1}

    # The same form again carries the old ETag: refused with 412, the current design shown.
    stale = admin.post(f"{vacancy_page(vacancy)}/design", data={**body, "stage-0-name": "Panel interview"})
    assert stale.status_code == 412
    assert "Someone else changed this design" in stale.text and 'value="Interview"' in stale.text

    # Once a score sheet is submitted the design locks.
    lead = browser_as("lead", org=ORG, roles=("assessor",))
    ready = ready_panel(api, keys, org=ORG, lead=str(lead.user.uid))
    score(api, ready, ready.lead, ready.candidates[0], {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    page = f"/recruitment/vacancies/{ready.vacancy['id']}/design"
    locked = admin.get(page)
    assert locked.status_code == 200 and "The design locked when the first score sheet was submitted" in locked.text
    assert 'name="etag"' not in locked.text
    current = api.get(f"/vacancies/{ready.vacancy['id']}/design", headers=admin_headers(keys, ORG)).headers["etag"]
    refused = admin.post(page, data={**body, "csrf_token": csrf_from(locked.text), "etag": current})
    assert refused.status_code == 409 and "The design is locked" in refused.text


def test_the_panel_offers_the_organisations_assessors_and_a_lead(admin, api, keys, browser_as):
    ann = browser_as("ann", org=ORG, roles=("assessor",), display_name="Ann Assessor")
    bob = browser_as("bob", org=ORG, roles=("assessor",), display_name="Bob Assessor")
    browser_as("mia", org=ORG, roles=("manager",), display_name="Mia Manager")
    browser_as("otto", org="WHSCT", roles=("assessor",), display_name="Otto Elsewhere")
    vacancy = create_vacancy(api, keys, ORG)
    stage = design(api, keys, vacancy, ORG)["stages"][0]
    url = f"{vacancy_page(vacancy)}/stages/{stage['id']}/panel"
    form = admin.get(url)
    assert form.status_code == 200
    assert "Ann Assessor" in form.text and "Bob Assessor" in form.text
    assert "Mia Manager" not in form.text and "Otto Elsewhere" not in form.text

    token = csrf_from(form.text)
    twice = admin.post(
        url,
        data={"csrf_token": token, "member_count": "2", "member-0": str(ann.user.uid), "member-1": str(ann.user.uid)},
    )
    assert twice.status_code == 422 and "choose each assessor once" in twice.text
    more = admin.post(url, data={"csrf_token": token, "member_count": "1", "member-0": "", "action": "add"})
    assert 'name="member-1"' in more.text

    saved = admin.post(
        url,
        data={
            "csrf_token": token,
            "member_count": "3",
            "member-0": str(ann.user.uid),
            "lead-0": "yes",
            "member-1": str(bob.user.uid),
            "member-2": "",
        },
    )
    assert saved.status_code == 303, saved.text
    panel = api.get(f"/vacancies/{vacancy['id']}/stages/{stage['id']}/panel", headers=admin_headers(keys, ORG)).json()
    assert [(m["assessor"], m["name"], m["is_lead"]) for m in panel["members"]] == [
        (str(ann.user.uid), "Ann Assessor", True),
        (str(bob.user.uid), "Bob Assessor", False),
    ]
    assert "Ward Sister" in ann.get("/recruitment/panels").text


def test_the_status_moves_one_step_at_a_time(admin, api, keys):
    vacancy = create_vacancy(api, keys, ORG)
    page = admin.get(vacancy_page(vacancy))
    assert "Open the vacancy" in page.text and "Start scoring" not in page.text
    token = csrf_from(page.text)
    refused = admin.post(f"{vacancy_page(vacancy)}/status", data={"csrf_token": token, "status": "open"})
    assert refused.status_code == 409 and "Design the assessment stages before opening" in refused.text

    design(api, keys, vacancy, ORG)
    opened = admin.post(f"{vacancy_page(vacancy)}/status", data={"csrf_token": token, "status": "open"})
    assert opened.status_code == 303
    page = admin.get(opened.headers["location"])
    assert "The vacancy is open" in page.text and "Start scoring" in page.text and "Open the vacancy" not in page.text
    skipped = admin.post(f"{vacancy_page(vacancy)}/status", data={"csrf_token": token, "status": "closed"})
    assert skipped.status_code == 409 and "cannot go from open to closed" in skipped.text
    assert admin.post(f"{vacancy_page(vacancy)}/status", data={"status": "scoring"}).status_code == 403  # no CSRF


CSV = "name,email,external_ref,evidence:Working together\n" + "".join(
    f"Person {i},p{i}@example.org,EXT-{i},Answer number {i}\n" for i in range(3)
)


def test_candidates_are_imported_from_a_file_or_pasted_csv_all_or_nothing(admin, api, keys):
    vacancy = create_vacancy(api, keys, ORG)
    url = f"{vacancy_page(vacancy)}/candidates/import"
    form = admin.get(url)
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert 'hx-indicator="#import-progress"' in form.text and "htmx-indicator" in form.text
    token = csrf_from(form.text)

    bad = "name,email,external_ref\nGood Person,good@example.org,A-1\n,not-an-email,A-2\nThird,third@example.org,A-1\n"
    refused = admin.post(url, data={"csrf_token": token, "csv": bad}, files={"file": ("", b"")})
    assert refused.status_code == 422
    assert "No candidates were imported" in refused.text and "Good Person" in refused.text  # the paste is kept
    cells = re.findall(r'<td class="nhsuk-table__cell">(?:<code>)?([^<]*)(?:</code>)?</td>', refused.text)
    assert "3" in cells and "4" in cells and "email" in cells and "external_ref" in cells  # numbered by row
    assert api.get(f"/vacancies/{vacancy['id']}", headers=admin_headers(keys, ORG)).json()["candidate_count"] == 0

    uploaded = admin.post(
        url,
        data={"csrf_token": token, "idempotency_key": "import-1"},
        files={"file": ("candidates.csv", CSV.encode(), "text/csv")},
        headers={"HX-Request": "true"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert "<html" not in uploaded.text and "3 candidates imported" in uploaded.text
    assert "Person 0" not in uploaded.text  # codes only
    assert api.get(f"/vacancies/{vacancy['id']}", headers=admin_headers(keys, ORG)).json()["candidate_count"] == 3

    empty = admin.post(url, data={"csrf_token": token, "csv": "  "}, files={"file": ("", b"")})
    assert empty.status_code == 422 and "Choose a CSV file" in empty.text
    assert admin.post(url, data={"csv": CSV}, files={"file": ("", b"")}).status_code == 403  # no CSRF


def _scored(api, keys, browser_as):
    """A scoring vacancy with three candidates scored by two assessors; two of them tie."""
    lead = browser_as("lead", org=ORG, roles=("assessor",), display_name="Lena Lead")
    second = browser_as("second", org=ORG, roles=("assessor",), display_name="Sam Second")
    ready = ready_panel(api, keys, org=ORG, lead=str(lead.user.uid), second=str(second.user.uid))
    first, tied, low = ready.candidates
    score(api, ready, ready.lead, first, {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    score(api, ready, ready.second, first, {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    score(api, ready, ready.lead, tied, {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    score(api, ready, ready.second, tied, {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    score(api, ready, ready.lead, low, {"V1": 1, "V2": 2, "V3": 1, "V4": 2})
    score(api, ready, ready.second, low, {"V1": 3, "V2": 1, "V3": None, "V4": 1})
    return ready


def test_results_rank_ties_equally_and_say_why_a_candidate_is_not_appointable(admin, api, keys, browser_as):
    ready = _scored(api, keys, browser_as)
    stage = f"{vacancy_page(ready.vacancy)}/stages/{ready.stage['id']}"
    page = admin.get(f"{stage}/results")
    assert page.status_code == 200
    assert page.text.count(">=1</td>") == 2 and ">3</td>" in page.text  # a tie, then rank 3
    assert ">Yes</strong>" in page.text and ">No</strong>" in page.text
    low = ready.candidates[2]["code"]
    row = page.text.split(low)[1].split("</tr>")[0]
    assert "V1: " in row  # its divergence flag
    assert not NAMES.search(page.text)

    csv = admin.get(f"{stage}/results.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == 'attachment; filename="results-interview.csv"'
    assert csv.text.startswith("candidate_code,rank") and low in csv.text

    reliability = admin.get(f"{stage}/reliability")
    assert reliability.status_code == 200
    assert "ICC(2,1)" in reliability.text and "ICC(2,k)" in reliability.text  # fully crossed
    assert re.search(r"(Poor|Moderate|Good|Excellent) agreement", reliability.text)  # the band in words
    assert "Lena Lead" in reliability.text and "Sam Second" in reliability.text  # names from the web's accounts
    assert "more lenient" in reliability.text or "more severe" in reliability.text

    decision = f"{stage}/results/{ready.candidates[0]['id']}/decision"
    form = admin.get(decision)
    assert form.status_code == 200 and "Record a progression decision" in form.text
    token = csrf_from(form.text)
    missing = admin.post(decision, data={"csrf_token": token, "outcome": "progress"})
    assert missing.status_code == 422 and "Enter the reason for the decision" in missing.text
    recorded = admin.post(decision, data={"csrf_token": token, "outcome": "progress", "reason": "Ranked joint first."})
    assert recorded.status_code == 303
    after = admin.get(recorded.headers["location"])
    assert (
        "is recorded" in after.text
        and "Progress to the next stage" in after.text
        and "Ranked joint first." in after.text
    )


def test_an_admin_on_the_panel_is_blind_like_any_assessor(api, keys, browser_as):
    both = browser_as("both", org=ORG, roles=("recruitment_admin", "assessor"), display_name="Bea Both")
    second = browser_as("second", org=ORG, roles=("assessor",))
    ready = ready_panel(api, keys, org=ORG, lead=str(both.user.uid), second=str(second.user.uid))
    score(api, ready, ready.second, ready.candidates[0], {"V1": 2, "V2": 2, "V3": 2, "V4": 2})
    stage = f"{vacancy_page(ready.vacancy)}/stages/{ready.stage['id']}"

    results = both.get(f"{stage}/results")
    assert results.status_code == 200 and ready.candidates[0]["code"] not in results.text
    assert "You sit on this panel" in results.text
    assert both.get(f"{stage}/reliability").text.count("submitted your own score sheet for every candidate") == 1
    csv = both.get(f"{stage}/results.csv")
    assert csv.status_code == 403 and "submitted your own score sheet for every candidate" in csv.text
    sheet = both.get(f"{stage}/candidates/{ready.candidates[0]['id']}/sheet", follow_redirects=True)
    assert sheet.status_code == 200 and not NAMES.search(sheet.text)  # no names, though the API gives admins them
    assert 'data-blind="true"' in both.get(f"{stage}/candidates/{ready.candidates[0]['id']}/scores").text


def test_admin_pages_need_the_recruitment_admin_role(api, keys, browser_as):
    ready = ready_panel(api, keys, org=ORG)
    assessor = browser_as("assessor", org=ORG, roles=("assessor",))
    stage = f"{vacancy_page(ready.vacancy)}/stages/{ready.stage['id']}"
    for url in (
        "/recruitment/vacancies/new",
        f"{vacancy_page(ready.vacancy)}/design",
        f"{vacancy_page(ready.vacancy)}/candidates/import",
        f"{stage}/panel",
        f"{stage}/results",
        f"{stage}/results.csv",
        f"{stage}/reliability",
        f"{stage}/results/{ready.candidates[0]['id']}/decision",
    ):
        assert assessor.get(url).status_code == 403, url

"""More recruitment admins' pages, against the real recruitment-api and framework-api in process:
a candidate's record, recording a withdrawal, importing SJT scores from pasted CSV, feedback
against the cohort, and data protection (the subject-access download, erasure). Every change is
confirmed first and needs the CSRF token; every page explains a service that is down; only
recruitment admins get any of them."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from recruitment_support import admin_headers, create_vacancy, design, ready_panel, score

from web.main import create_app

ORG = "SEHSCT"
NAMES = re.compile(r"Candidate \d|c\d@example\.org")
ALL_THREES = {"V1": 3, "V2": 3, "V3": 3, "V4": 3}


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def cells(html: str) -> list[str]:
    return re.findall(r'<td class="nhsuk-table__cell">([^<]*)</td>', html)


@pytest.fixture
def admin(browser_as):
    return browser_as("recruiter", org=ORG, roles=("recruitment_admin",), display_name="Rita Recruiter")


@pytest.fixture
def api(recruitment_services):
    return recruitment_services["api"]


def vacancy_page(vacancy: dict) -> str:
    return f"/recruitment/vacancies/{vacancy['id']}"


def record(vacancy: dict, candidate: dict) -> str:
    return f"{vacancy_page(vacancy)}/candidates/{candidate['id']}"


def api_candidate(api, keys, vacancy: dict, candidate: dict) -> dict:
    found = api.get(f"/vacancies/{vacancy['id']}/candidates/{candidate['id']}", headers=admin_headers(keys, ORG))
    assert found.status_code == 200, found.text
    return found.json()


# --- the candidate's record -----------------------------------------------------------------


def test_each_candidate_has_a_record_with_their_details_and_actions(admin, api, keys):
    ready = ready_panel(api, keys, org=ORG)
    first = ready.candidates[0]
    page = admin.get(vacancy_page(ready.vacancy))
    assert page.status_code == 200
    for candidate in ready.candidates:
        assert f'href="{record(ready.vacancy, candidate)}">{candidate["code"]}</a>' in page.text
        assert f'href="{record(ready.vacancy, candidate)}/withdraw"' in page.text
    assert not NAMES.search(page.text)  # the list stays codes only

    shown = admin.get(record(ready.vacancy, first))
    assert shown.status_code == 200
    assert first["code"] in shown.text and "Candidate 0" in shown.text and "c0@example.org" in shown.text
    assert "R0" in shown.text and "In the running" in shown.text and "1 answer" in shown.text
    here = record(ready.vacancy, first)
    for link in (
        f"{here}/withdraw",
        f"{here}/feedback?stage={ready.stage['id']}",
        f"{here}/subject-access",
        f"{here}/erasure",
    ):
        assert f'href="{link}"' in shown.text, link
    assert "equality monitoring answers are left out: only the equality role can read them" in shown.text
    fragment = admin.get(here, headers={"HX-Request": "true"})  # no block of its own: the whole page
    assert fragment.status_code == 200 and "<html" in fragment.text


def test_an_admin_on_the_panel_is_not_shown_who_the_candidates_are(api, keys, browser_as):
    both = browser_as("both", org=ORG, roles=("recruitment_admin", "assessor"), display_name="Bea Both")
    ready = ready_panel(api, keys, org=ORG, lead=str(both.user.uid))
    for url in (
        record(ready.vacancy, ready.candidates[0]),
        record(ready.vacancy, ready.candidates[0]) + "/withdraw",
        record(ready.vacancy, ready.candidates[0]) + "/erasure",
    ):
        page = both.get(url)
        assert page.status_code == 200, url
        assert not NAMES.search(page.text), url
        assert "you sit on a panel for this vacancy" in page.text, url
    score(api, ready, ready.second, ready.candidates[0], ALL_THREES)  # a score Bea has not seen
    feedback = both.get(record(ready.vacancy, ready.candidates[0]) + "/feedback", params={"stage": ready.stage["id"]})
    assert feedback.status_code == 200 and 'data-blind="true"' in feedback.text  # figures after their own sheets


# --- withdrawal -----------------------------------------------------------------------------


def test_a_withdrawal_is_confirmed_on_its_own_page_first(admin, api, keys):
    ready = ready_panel(api, keys, org=ORG)
    first = ready.candidates[0]
    url = record(ready.vacancy, first) + "/withdraw"
    form = admin.get(url)
    assert form.status_code == 200
    assert "A withdrawal cannot be undone" in form.text and "Candidate 0" in form.text
    assert f'action="{url}" method="post"' in form.text

    refused = admin.post(url)  # no CSRF token
    assert refused.status_code == 403 and "Your form could not be sent" in refused.text
    assert api_candidate(api, keys, ready.vacancy, first)["withdrawn"] is False

    done = admin.post(url, data={"csrf_token": csrf_from(form.text)})
    assert done.status_code == 303
    assert done.headers["location"] == record(ready.vacancy, first) + "?changed=withdrawn"
    after = admin.get(done.headers["location"])
    assert "The withdrawal is recorded" in after.text and "Withdrawn" in after.text
    assert f'href="{url}"' not in after.text
    assert api_candidate(api, keys, ready.vacancy, first)["withdrawn"] is True
    listing = admin.get(vacancy_page(ready.vacancy)).text
    assert f'href="{url}"' not in listing and f'href="{record(ready.vacancy, ready.candidates[1])}/withdraw"' in listing

    again = admin.post(url, data={"csrf_token": csrf_from(form.text)})
    assert again.status_code == 409 and "has already withdrawn" in again.text
    assert "already recorded" in admin.get(url).text


# --- SJT scores -----------------------------------------------------------------------------


@pytest.fixture
def sjt(api, keys):
    """A vacancy with an interview and an SJT stage, and three candidates."""
    vacancy = create_vacancy(api, keys, ORG)
    weighted = [{"criterion": c} for c in ("V1", "V2", "V3", "V4")]
    stages = [
        {"name": "Interview", "kind": "interview", "criteria": weighted},
        {"name": "Online SJT", "kind": "sjt", "pass_mark": 50},
    ]
    interview, test = design(api, keys, vacancy, ORG, stages=stages)["stages"]
    people = [{"name": f"Candidate {i}", "email": f"c{i}@example.org"} for i in range(3)]
    imported = api.post(
        f"/vacancies/{vacancy['id']}/candidates/import", json={"candidates": people}, headers=admin_headers(keys, ORG)
    )
    assert imported.status_code == 201, imported.text
    return vacancy, interview, test, imported.json()["candidates"]


def sjt_results(api, keys, vacancy, stage) -> dict[str, float]:
    found = api.get(f"/vacancies/{vacancy['id']}/stages/{stage['id']}/results", headers=admin_headers(keys, ORG))
    assert found.status_code == 200, found.text
    return {row["candidate_code"]: row["weighted_mean"] for row in found.json()["candidates"]}


def test_sjt_scores_are_checked_row_by_row_before_any_is_imported(admin, api, keys, sjt):
    vacancy, interview, test, candidates = sjt
    stages = f"{vacancy_page(vacancy)}/stages"
    url = f"{stages}/{test['id']}/sjt-scores"
    page = admin.get(vacancy_page(vacancy))
    assert f'href="{url}"' in page.text and f'href="{stages}/{interview["id"]}/sjt-scores"' not in page.text
    form = admin.get(url)
    assert form.status_code == 200 and "Import SJT scores" in form.text and "Online SJT" in form.text
    assert 'hx-post="' + url + '"' in form.text and 'name="csv"' in form.text
    assert admin.get(f"{stages}/{interview['id']}/sjt-scores").status_code == 404  # the panel scores that one
    token = csrf_from(form.text)

    codes = [c["code"] for c in candidates]
    bad = f"candidate_code,score\n{codes[0]},71.5\nC-NOPE99,50\n{codes[1]},seventy\n\n{codes[2]}\n{codes[0]},60\n"
    refused = admin.post(url, data={"csrf_token": token, "csv": bad})
    assert refused.status_code == 422
    assert "No scores were imported" in refused.text and "C-NOPE99,50" in refused.text  # the paste is kept
    found = cells(refused.text)
    rows = [found[i : i + 3] for i in range(0, len(found), 3)]
    assert rows == [
        ["3", "C-NOPE99", "No candidate of this vacancy has the code C-NOPE99"],
        ["4", codes[1], "The score “seventy” is not a number"],
        ["6", codes[2], "Give the score after the code, with a comma"],
        ["7", codes[0], f"Candidate {codes[0]} has a score on row 2"],
    ]
    assert sjt_results(api, keys, vacancy, test) == {}  # nothing was sent

    assert admin.post(url, data={"csv": f"{codes[0]},71.5\n"}).status_code == 403  # no CSRF
    empty = admin.post(url, data={"csrf_token": token, "csv": "  \n"})
    assert empty.status_code == 422 and "Paste the scores" in empty.text

    good = f"{codes[0]},71.5\n{codes[1].lower()}, 48\n{codes[2]},-3\n"
    imported = admin.post(url, data={"csrf_token": token, "csv": good}, headers={"HX-Request": "true"})
    assert imported.status_code == 200, imported.text
    assert "<html" not in imported.text and "3 scores imported" in imported.text
    assert sjt_results(api, keys, vacancy, test) == {codes[0]: 71.5, codes[1]: 48.0, codes[2]: -3.0}

    again = admin.post(url, data={"csrf_token": token, "csv": f"{codes[1]},52"})  # without JavaScript
    assert again.status_code == 200 and "<html" in again.text and "1 score imported" in again.text
    assert sjt_results(api, keys, vacancy, test)[codes[1]] == 52.0


# --- feedback -------------------------------------------------------------------------------


def test_feedback_shows_the_candidate_beside_the_cohort(admin, api, keys):
    ready = ready_panel(api, keys, org=ORG, candidates=5)
    for i, candidate in enumerate(ready.candidates):
        score(api, ready, ready.lead, candidate, {"V1": 1 + i % 3, "V2": 3, "V3": 3, "V4": 3})
    url = record(ready.vacancy, ready.candidates[0]) + "/feedback"
    page = admin.get(url, params={"stage": ready.stage["id"]})
    assert page.status_code == 200
    assert "Compared with the 5 candidates scored at Interview" in page.text
    row = page.text.split('<span class="collective-code">V1</span>')[1].split("</tr>")[0]
    assert "1.00" in row and "1.80" in row and "2.00" in row  # theirs, the cohort's mean, its spread
    assert "withheld" not in page.text.lower()

    fragment = admin.get(url, params={"stage": ready.stage["id"]}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "Cohort mean" in fragment.text
    chooser = admin.get(url)
    assert chooser.status_code == 200 and "Choose the stage to give feedback from" in chooser.text
    assert f'<option value="{ready.stage["id"]}">Interview</option>' in chooser.text
    unknown = admin.get(url, params={"stage": "not-a-stage"})
    assert unknown.status_code == 200 and "Choose the stage" in unknown.text
    assert admin.get(url, params={"stage": str(uuid.uuid4())}).status_code == 404

    results = admin.get(f"{vacancy_page(ready.vacancy)}/stages/{ready.stage['id']}/results")
    assert f'href="{url}?stage={ready.stage["id"]}"' in results.text


def test_feedback_says_when_the_cohort_is_too_small_to_show(admin, api, keys):
    ready = ready_panel(api, keys, org=ORG)
    for candidate in ready.candidates:
        score(api, ready, ready.lead, candidate, ALL_THREES)
    page = admin.get(record(ready.vacancy, ready.candidates[0]) + "/feedback", params={"stage": ready.stage["id"]})
    assert page.status_code == 200
    assert "The cohort's figures are withheld: too few candidates were scored at Interview" in page.text
    assert "3.00" in page.text and page.text.count(">Withheld</td>") == 8  # four values, mean and spread each
    assert not NAMES.search(page.text)


# --- data protection ------------------------------------------------------------------------


def test_the_subject_access_file_downloads_as_json(admin, api, keys):
    ready = ready_panel(api, keys, org=ORG)
    first = ready.candidates[0]
    score(api, ready, ready.lead, first, ALL_THREES)
    download = admin.get(record(ready.vacancy, first) + "/subject-access")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"] == f'attachment; filename="subject-access-{first["code"]}.json"'
    document = json.loads(download.content)
    assert document["candidate"]["code"] == first["code"]
    assert document["personal_details"][0]["name"] == "Candidate 0"
    assert [s["score"] for s in document["score_sheets"][0]["scores"]] == [3, 3, 3, 3]
    assert document["equality_monitoring_withheld"] is True  # a recruitment admin without the equality role


def test_erasure_says_what_goes_and_what_stays_and_really_erases(admin, api, keys):
    ready = ready_panel(api, keys, org=ORG)
    first = ready.candidates[0]
    score(api, ready, ready.lead, first, ALL_THREES)
    here = record(ready.vacancy, first)
    form = admin.get(here + "/erasure")
    assert form.status_code == 200 and "Candidate 0" in form.text
    removed = form.text.split("What is removed")[1].split("What is kept")[0]
    for part in ("Personal details", "Equality monitoring answers", "Evidence", "Assessors' notes"):
        assert part in removed, part
    kept = form.text.split("What is kept")[1]
    assert "pseudonymised scores" in kept and "cannot be undone" in kept

    refused = admin.post(here + "/erasure")  # no CSRF token
    assert refused.status_code == 403 and "Your form could not be sent" in refused.text
    assert "Candidate 0" in admin.get(here).text

    erased = admin.post(here + "/erasure", data={"csrf_token": csrf_from(form.text)})
    assert erased.status_code == 303 and erased.headers["location"] == here + "?changed=erased"
    after = admin.get(erased.headers["location"])
    assert after.status_code == 200 and "personal data is erased" in after.text
    assert first["code"] in after.text
    assert "Candidate 0" not in after.text and "c0@example.org" not in after.text and "R0" not in after.text
    assert f'href="{here}/erasure"' not in after.text
    assert api_candidate(api, keys, ready.vacancy, first)["personal"] is None

    document = json.loads(admin.get(here + "/subject-access").content)
    assert document["personal_details"] == [] and document["evidence"] == []
    assert document["candidate"]["erased_at"] is not None
    assert [s["score"] for s in document["score_sheets"][0]["scores"]] == [3, 3, 3, 3]  # the scores stay

    again = admin.post(here + "/erasure", data={"csrf_token": csrf_from(form.text)})
    assert again.status_code == 409 and "already erased" in again.text
    assert "already erased" in admin.get(here + "/erasure").text


# --- roles ----------------------------------------------------------------------------------


def test_the_pages_need_the_recruitment_admin_role(api, keys, browser_as, sjt):
    vacancy, _, test, candidates = sjt
    assessor = browser_as("assessor", org=ORG, roles=("assessor",))
    here = record(vacancy, candidates[0])
    sjt_url = f"{vacancy_page(vacancy)}/stages/{test['id']}/sjt-scores"
    for url in (here, here + "/withdraw", f"{here}/feedback?stage={test['id']}", here + "/subject-access"):
        refused = assessor.get(url)
        assert refused.status_code == 403 and "You do not have access to this page" in refused.text, url
    for url in (here + "/erasure", sjt_url):
        assert assessor.get(url).status_code == 403, url
    token = csrf_from(assessor.get("/recruitment").text)
    for url, data in (
        (here + "/withdraw", {}),
        (here + "/erasure", {}),
        (sjt_url, {"csv": f"{candidates[0]['code']},50"}),
    ):
        assert assessor.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    kept = api_candidate(api, keys, vacancy, candidates[0])
    assert kept["withdrawn"] is False and kept["personal"]["name"] == "Candidate 0"


# --- recruitment-api down -------------------------------------------------------------------

DOWN_URL = "http://recruitment-api.down"
FRAMEWORK_URL = "http://framework.test"  # framework-api in process (conftest)
V, S, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
RECORD = f"/recruitment/vacancies/{V}/candidates/{C}"
PAGES = [
    RECORD,
    f"{RECORD}/withdraw",
    f"{RECORD}/feedback",
    f"{RECORD}/feedback?stage={S}",
    f"{RECORD}/erasure",
    f"/recruitment/vacancies/{V}/stages/{S}/sjt-scores",
]


@pytest.fixture
def service_down(settings, framework_api, make_user, login):
    settings = settings.model_copy(update={"recruitment_api_url": DOWN_URL})

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    application = create_app(
        settings,
        transports={FRAMEWORK_URL: framework_api, DOWN_URL: httpx.MockTransport(refuse)},
    )
    make_user("everything", org="BSO", roles=("recruitment_admin", "assessor", "equality_officer"))
    with TestClient(application, follow_redirects=False) as client:
        assert login(client, "everything").status_code == 303
        yield client
    application.state.engine.dispose()


def test_every_page_answers_200_with_a_notice_when_the_service_is_down(service_down):
    for url in PAGES:
        page = service_down.get(url)
        assert page.status_code == 200, (url, page.status_code)
        assert 'data-notice="unavailable"' in page.text, url
        assert "The recruitment service is not available just now" in page.text, url
        assert 'href="/recruitment"' in page.text, url  # the navigation still works


def test_changes_and_downloads_while_the_service_is_down_say_so(service_down):
    token = csrf_from(service_down.get("/recruitment").text)
    sjt = f"/recruitment/vacancies/{V}/stages/{S}/sjt-scores"
    for url, data in ((f"{RECORD}/withdraw", {}), (f"{RECORD}/erasure", {}), (sjt, {"csv": "C-AAAA,50"})):
        sent = service_down.post(url, data={"csrf_token": token, **data})
        assert sent.status_code == 200, (url, sent.status_code)
        assert "not available" in sent.text and 'data-notice="unavailable"' in sent.text, url
    kept = service_down.post(sjt, data={"csrf_token": token, "csv": "C-AAAA,50"})
    assert "C-AAAA,50</textarea>" in kept.text  # the paste is kept, to send again
    download = service_down.get(f"{RECORD}/subject-access")
    assert download.status_code == 503 and "not available" in download.text

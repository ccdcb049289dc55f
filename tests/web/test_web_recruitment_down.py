"""recruitment-api down (or failing): every recruitment page answers 200 with a clear notice in
place of its content, the layout and navigation still work, and nothing is a 500."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from web.main import create_app

FRAMEWORK_URL = "http://framework.test"  # framework-api in process (conftest)
RECRUITMENT_URL = "http://recruitment-api.down"

V, S, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
STAGE = f"/recruitment/vacancies/{V}/stages/{S}"
PAGES = [
    "/recruitment/panels",
    f"{STAGE}/candidates",
    f"{STAGE}/candidates/{C}/sheet",
    f"{STAGE}/candidates/{C}/sheet/2",
    f"{STAGE}/candidates/{C}/sheet/submit",
    f"{STAGE}/candidates/{C}/scores",
    f"{STAGE}/candidates/{C}/amend",
    f"{STAGE}/moderation",
    "/recruitment/vacancies",
    f"/recruitment/vacancies/{V}",
    f"/recruitment/vacancies/{V}/design",
    f"/recruitment/vacancies/{V}/candidates/import",
    f"{STAGE}/panel",
    f"{STAGE}/results",
    f"{STAGE}/reliability",
    f"{STAGE}/results/{C}/decision",
    f"{STAGE}/adverse-impact",
]


class Failing:
    def __init__(self) -> None:
        self.failure: str | int = "connect"

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.failure == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if self.failure == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.failure == "explained":
            detail = "framework-api could not be reached to read the framework version; try again shortly."
            problem = {"type": "https://collective.hscni.net/problems/framework-unavailable", "status": 503}
            return httpx.Response(503, json={**problem, "title": "Service unavailable", "detail": detail})
        return httpx.Response(int(self.failure), json={"title": "Boom", "status": self.failure})


@pytest.fixture
def failing():
    return Failing()


@pytest.fixture
def everyone(settings, framework_api, failing, make_user, login):
    settings = settings.model_copy(update={"recruitment_api_url": RECRUITMENT_URL})
    application = create_app(
        settings,
        transports={
            FRAMEWORK_URL: framework_api,
            RECRUITMENT_URL: httpx.MockTransport(failing.handle),
        },
    )
    # make_user writes to the same database (the `settings` of this test).
    make_user("everything", org="BSO", roles=("recruitment_admin", "assessor", "equality_officer"))
    with TestClient(application, follow_redirects=False) as client:
        assert login(client, "everything").status_code == 303
        yield client
    application.state.engine.dispose()


@pytest.mark.parametrize("failure", ["connect", "timeout", 500, 503])
def test_every_recruitment_page_answers_200_with_a_notice(everyone, failing, failure):
    failing.failure = failure
    for url in PAGES:
        page = everyone.get(url)
        assert page.status_code == 200, (url, page.status_code)
        assert 'data-notice="unavailable"' in page.text, url
        assert "The recruitment service is not available just now" in page.text, url
        assert 'href="/recruitment"' in page.text and 'href="/frameworks"' in page.text, url  # navigation works


def test_the_hub_and_the_new_vacancy_form_need_no_recruitment_service(everyone):
    assert everyone.get("/recruitment").status_code == 200
    form = everyone.get("/recruitment/vacancies/new")  # reads framework-api only
    assert (
        form.status_code == 200 and "HSC Collective Leadership Framework, version 1.1.0" in form.text
    )  # its latest published


def test_changes_sent_while_the_service_is_down_say_so(everyone):
    token = re.search(r'name="csrf_token" value="([^"]+)"', everyone.get("/recruitment").text).group(1)
    saved = everyone.post(f"{STAGE}/candidates/{C}/sheet/1", data={"answer": "3", "csrf_token": token})
    assert saved.status_code == 200 and "Your answer was not saved" in saved.text
    autosave = everyone.put(
        f"{STAGE}/candidates/{C}/sheet/1", data={"answer": "3"}, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert autosave.status_code == 200 and "Not saved" in autosave.text and "<html" not in autosave.text
    submitted = everyone.post(f"{STAGE}/candidates/{C}/sheet/submit", data={"csrf_token": token})
    assert submitted.status_code == 200 and "not available" in submitted.text
    imported = everyone.post(
        f"/recruitment/vacancies/{V}/candidates/import", data={"csrf_token": token, "csv": "name\nA\n"}
    )
    assert imported.status_code == 200 and "not available" in imported.text
    download = everyone.get(f"{STAGE}/results.csv")
    assert download.status_code == 503 and "not available" in download.text


def test_a_service_that_explains_its_failure_is_quoted(everyone, failing):
    """recruitment-api answers 503 when framework-api is down while a vacancy is created: the form
    says so in its words, and keeps what was typed."""
    form = everyone.get("/recruitment/vacancies/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    failing.failure = "explained"
    page = everyone.post(
        "/recruitment/vacancies",
        data={
            "csrf_token": token,
            "title": "Charge Nurse",
            "framework_version_id": "22222222-2222-4222-8222-222222222221",
            "values": ["V4"],
        },
    )
    assert page.status_code == 422
    assert "could not be reached to read the framework version" in page.text and 'value="Charge Nurse"' in page.text

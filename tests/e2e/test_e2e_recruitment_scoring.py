"""In a real browser: two assessors score the same candidate; the second sees the first's scores
only after submitting their own.

Starts framework-api, recruitment-api and web as real processes on free ports with SQLite in a
temporary folder, seeds the framework, creates the demo accounts with `web create-demo-users`,
and sets up a vacancy in scoring with both on its panel through recruitment-api's HTTP API with
an admin token (as an HR system would). Drives Debian's Chromium with Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from e2e_support import BIN, PATIENT, chromium, free_port, open_page, require_chromium, run, serving

from servicekit.demo import DEMO_ASSESSOR, DEMO_ORG, DEMO_RECRUITER, demo_subject
from servicekit.keys import PRIVATE_NAME, PUBLIC_NAME, ensure_keys, issue_token

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "e2e-demo-password-long-enough"
SEEDED_VERSION = "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef"  # HSC Collective Leadership Framework 1.0.0
VALUES = ["Working Together", "Excellence", "Openness and Honesty", "Compassion"]
FIRST_NOTE = "FIRST-ASSESSOR-NOTE shared a huddle with pharmacy"


def _set_up_vacancy(recruitment: str, private_pem: bytes) -> dict:
    token = issue_token(
        private_pem,
        subject="e2e-hr-system",
        org=DEMO_ORG,
        scopes=["recruitment:read", "recruitment:admin"],
        ttl_seconds=600,
    )
    with httpx.Client(base_url=recruitment, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:

        def ok(response: httpx.Response) -> dict:
            assert response.status_code in (200, 201), response.text
            return response.json()

        vacancy = ok(
            api.post(
                "/vacancies",
                json={"title": "Staff Nurse, Renal Unit", "band": "Band 5", "framework_version_id": SEEDED_VERSION},
            )
        )
        etag = api.get(f"/vacancies/{vacancy['id']}/design").headers["etag"]
        criteria = [{"criterion": code} for code in ("V1", "V2", "V3", "V4")]
        design = ok(
            api.put(
                f"/vacancies/{vacancy['id']}/design",
                json={"stages": [{"name": "Interview", "kind": "interview", "criteria": criteria}]},
                headers={"If-Match": etag},
            )
        )
        stage = design["stages"][0]
        candidates = ok(
            api.post(
                f"/vacancies/{vacancy['id']}/candidates/import",
                content="name,email,evidence:Working together\n"
                "Niamh Kelly,niamh@example.org,I set up a shared huddle with the pharmacy team.\n"
                "Owen Boyd,owen@example.org,I co-produced a leaflet with two patients.\n",
                headers={"Content-Type": "text/csv"},
            )
        )["candidates"]
        members = [
            {"assessor": demo_subject(DEMO_ASSESSOR), "name": "Demo Assessor", "is_lead": True},
            {"assessor": demo_subject(DEMO_RECRUITER), "name": "Demo Recruiter"},
        ]
        ok(api.put(f"/vacancies/{vacancy['id']}/stages/{stage['id']}/panel", json={"members": members}))
        for status in ("open", "scoring"):
            ok(api.post(f"/vacancies/{vacancy['id']}/status", json={"status": status}))
    return {"vacancy": vacancy, "stage": stage, "candidate": candidates[0], "other": candidates[1]}


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict]:
    require_chromium()
    root = tmp_path_factory.mktemp("e2e-recruitment")
    keys_dir = root / "keys"
    ensure_keys(keys_dir)
    ports = {name: free_port() for name in ("framework-api", "recruitment-api", "web")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ,
        **PATIENT,
        "FRAMEWORK_API_DATABASE_URL": f"sqlite:///{root / 'framework.db'}",
        "FRAMEWORK_API_JWT_PUBLIC_KEY_PATH": str(keys_dir / PUBLIC_NAME),
        "FRAMEWORK_API_PUBLIC_BASE_URL": urls["framework-api"],
        "RECRUITMENT_API_DATABASE_URL": f"sqlite:///{root / 'recruitment.db'}",
        "RECRUITMENT_API_JWT_PUBLIC_KEY_PATH": str(keys_dir / PUBLIC_NAME),
        "RECRUITMENT_API_SERVICE_SIGNING_KEY_PATH": str(keys_dir / PRIVATE_NAME),
        "RECRUITMENT_API_FRAMEWORK_API_URL": urls["framework-api"],
        "WEB_DATABASE_URL": f"sqlite:///{root / 'web.db'}",
        "WEB_KEYS_DIR": str(keys_dir),
        "WEB_FRAMEWORK_API_URL": urls["framework-api"],
        "WEB_RECRUITMENT_API_URL": urls["recruitment-api"],
        "COLLECTIVE_DEMO_PASSWORD": DEMO_PASSWORD,
    }
    run([str(BIN / "framework-api"), "migrate"], env, root)
    run([str(BIN / "framework-api"), "seed"], env, root)
    run([str(BIN / "recruitment-api"), "migrate"], env, root)
    run([str(BIN / "web"), "migrate"], env, root)
    created = run([str(BIN / "web"), "create-demo-users"], env, root)
    assert "recruiter" in created and DEMO_PASSWORD not in created

    with serving([(name, ports[name], urls[name]) for name in ports], env, root):
        scoring = _set_up_vacancy(urls["recruitment-api"], (keys_dir / PRIVATE_NAME).read_bytes())
        yield {**urls, **scoring}


@pytest.fixture
def browser(servers):
    with chromium() as launched:
        yield launched


def _sign_in(page, web: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{web}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome to Collective")


def _open_the_candidate(page, servers) -> None:
    """Recruitment, My panels, the vacancy's interview, then the candidate's score sheet."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Recruitment").click()
    page.get_by_role("link", name="My panels").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My panels")
    page.get_by_role("link", name="Staff Nurse, Renal Unit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Interview: candidates to score")
    code = servers["candidate"]["code"]
    expect(page.get_by_role("table")).to_contain_text(code)
    page.get_by_role("link", name=f"Score {code}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(VALUES[0])


def _assert_blind(page) -> None:
    from playwright.sync_api import expect

    body = page.locator("body")
    expect(body).not_to_contain_text("FIRST-ASSESSOR-NOTE")
    expect(body).not_to_contain_text("Demo Assessor")
    expect(body).not_to_contain_text("Niamh Kelly")  # and never a candidate's name
    assert page.locator(".collective-panel-scores").count() == 0


def test_the_second_assessor_sees_the_first_assessors_scores_only_after_submitting(servers, browser):
    from playwright.sync_api import expect

    web = servers["web"]
    sheet = (
        f"{web}/recruitment/vacancies/{servers['vacancy']['id']}/stages/{servers['stage']['id']}"
        f"/candidates/{servers['candidate']['id']}"
    )

    # Assessor 1 scores one value at a time; every change is autosaved with htmx.
    first = open_page(browser)
    _sign_in(first, web, DEMO_ASSESSOR)
    _open_the_candidate(first, servers)
    expect(first.locator(".collective-evidence")).to_contain_text("shared huddle with the pharmacy team")
    for index, (value, score) in enumerate(zip(VALUES, ("3", "2", "1", "4"), strict=True)):
        expect(first.get_by_role("heading", level=1)).to_have_text(value)
        first.locator(f'input[name="answer"][value="{score}"]').check()
        expect(first.locator("#save-status")).to_contain_text("Saved as a draft")
        if index == 0:
            first.get_by_label("Evidence notes").fill(FIRST_NOTE)
            first.get_by_label("Evidence notes").blur()
        first.get_by_role("button", name="Next value" if index < 3 else "Review and submit").click()
    expect(first.get_by_role("heading", level=1)).to_have_text("Check your scores and submit them")
    expect(first.locator(".collective-sheet-summary")).to_contain_text(FIRST_NOTE)
    first.get_by_role("button", name="Submit my scores").click()
    expect(first.get_by_role("heading", level=1)).to_have_text("The panel's scores")
    expect(first.locator(".nhsuk-notification-banner")).to_contain_text("Your scores are submitted and locked")
    expect(first.locator(".collective-panel-scores")).to_contain_text("Demo Assessor (you)")
    assert first.console_errors == []

    # Assessor 2 scores the same candidate and sees nothing of assessor 1's before submitting.
    second = open_page(browser)
    _sign_in(second, web, DEMO_RECRUITER)
    _open_the_candidate(second, servers)
    for index, score in enumerate(("3", "3", "3", "3")):
        _assert_blind(second)
        second.locator(f'input[name="answer"][value="{score}"]').check()
        expect(second.locator("#save-status")).to_contain_text("Saved as a draft")
        second.get_by_role("button", name="Next value" if index < 3 else "Review and submit").click()
    _assert_blind(second)
    second.goto(f"{sheet}/scores")  # the panel's scores, asked for directly: refused, and explained
    expect(second.locator(".collective-blind")).to_contain_text("once you have submitted your own score sheet")
    _assert_blind(second)

    second.goto(f"{sheet}/sheet/submit")
    second.get_by_role("button", name="Submit my scores").click()
    expect(second.get_by_role("heading", level=1)).to_have_text("The panel's scores")
    table = second.locator(".collective-panel-scores")
    expect(table).to_contain_text("Demo Assessor")
    expect(table).to_contain_text("Demo Recruiter (you)")
    expect(second.locator("body")).to_contain_text(FIRST_NOTE)
    expect(second.locator(".collective-flags")).to_contain_text("V3")  # 1 against 3: a divergence
    expect(second.locator("body")).not_to_contain_text("Niamh Kelly")

    # The recruiter is also the recruitment admin: the results now include the candidate.
    second.get_by_role("link", name="Results of this stage").click()
    expect(second.get_by_role("heading", level=1)).to_have_text("Results and ranking")
    expect(second.get_by_role("table")).to_contain_text(servers["candidate"]["code"])
    assert second.console_errors == []


def test_the_score_sheet_works_without_javascript(servers, browser):
    """The same form without htmx: Save posts the page, Next and Previous move between values."""
    from playwright.sync_api import expect

    web = servers["web"]
    page = open_page(browser, javascript=False)
    _sign_in(page, web, DEMO_RECRUITER)
    page.goto(f"{web}/recruitment/panels")
    page.get_by_role("link", name="Staff Nurse, Renal Unit").click()
    code = servers["other"]["code"]
    page.get_by_role("link", name=f"Score {code}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(VALUES[0])
    expect(page.locator(".collective-evidence")).to_contain_text("leaflet with two patients")
    page.locator('input[name="answer"][value="2"]').check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("saved as a draft")
    page.get_by_role("button", name="Next value").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(VALUES[1])
    page.locator('input[name="answer"][value="not_evidenced"]').check()
    page.get_by_role("button", name="Previous value").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(VALUES[0])
    expect(page.locator('input[name="answer"][value="2"]')).to_be_checked()
    page.get_by_role("link", name="Check your answers and submit").click()
    summary = page.locator(".collective-sheet-summary")
    expect(summary).to_contain_text("2: Proficient")
    expect(summary).to_contain_text("Not evidenced")
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text("Not ready to submit")
    expect(page.locator("body")).not_to_contain_text("Owen Boyd")


def test_an_import_reports_row_errors_then_imports_in_place_with_htmx(servers, browser):
    """The import form is swapped by htmx: row errors first, then the count; no CSP violation."""
    from playwright.sync_api import expect

    web = servers["web"]
    page = open_page(browser)
    _sign_in(page, web, DEMO_RECRUITER)
    page.goto(f"{web}/recruitment/vacancies/{servers['vacancy']['id']}")
    page.get_by_role("link", name="Import candidates").click()
    url = page.url
    page.get_by_label("Or paste the CSV here").fill("name,email\nRory Cassidy,not-an-email\n,x@example.org\n")
    page.get_by_role("button", name="Import candidates").click()
    errors = page.locator(".collective-import-errors")
    expect(errors).to_contain_text("Enter the email address in the right format")
    expect(page.locator("#csv-error")).to_contain_text("The pasted CSV has 2 problems")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_label("Or paste the CSV here")).to_have_value(
        "name,email\nRory Cassidy,not-an-email\n,x@example.org\n"
    )
    page.get_by_label("Or paste the CSV here").fill("name,email\nRory Cassidy,rory@example.org\n")
    page.get_by_role("button", name="Import candidates").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("1 candidate imported")
    assert page.url == url  # swapped in place
    # The 422 of the first attempt is logged by the browser; nothing else (no CSP violation).
    assert [e for e in page.console_errors if "status of 422" not in e] == []

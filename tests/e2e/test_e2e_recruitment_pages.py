"""In a real browser, what issue 6 §8 found in the recruiter's and assessor's pages: notes put in
without a key press (pasted, dictated) are autosaved, and the side list of values follows; the
sheet's address keeps the value being viewed across a reload; the change-a-score form shows the
chosen value's anchors (htmx); and at 375 px the results' decision and feedback links stack.

Starts framework-api, recruitment-api and web as real processes on free ports with SQLite, as
test_e2e_recruitment_scoring does, and drives Debian's Chromium with Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from e2e_support import BIN, PATIENT, chromium, free_port, open_page, require_chromium, run, serving, settle

from servicekit.demo import DEMO_ASSESSOR, DEMO_ORG, DEMO_RECRUITER, demo_subject
from servicekit.keys import PRIVATE_NAME, PUBLIC_NAME, ensure_keys, issue_token

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "e2e-demo-password-long-enough"
SEEDED_VERSION = "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef"  # HSC Collective Leadership Framework 1.0.0
DICTATED = "Described a handover she redesigned with the night team"


def _api(base: str, private_pem: bytes, subject: str, scopes: list[str]) -> httpx.Client:
    token = issue_token(private_pem, subject=subject, org=DEMO_ORG, scopes=scopes, ttl_seconds=600)
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _set_up(recruitment: str, private_pem: bytes) -> dict:
    """A vacancy in scoring, the demo assessor leading its panel with the demo recruiter, three
    candidates, and both assessors' sheets for the first one submitted (1 against 3 on V1)."""
    with _api(recruitment, private_pem, "e2e-hr-system", ["recruitment:read", "recruitment:admin"]) as api:
        vacancy = _ok(
            api.post("/vacancies", json={"title": "Deputy Ward Manager", "framework_version_id": SEEDED_VERSION})
        )
        etag = api.get(f"/vacancies/{vacancy['id']}/design").headers["etag"]
        criteria = [{"criterion": code} for code in ("V1", "V2", "V3", "V4")]
        stage = _ok(
            api.put(
                f"/vacancies/{vacancy['id']}/design",
                json={"stages": [{"name": "Interview", "kind": "interview", "criteria": criteria, "min_per_value": 2}]},
                headers={"If-Match": etag},
            )
        )["stages"][0]
        candidates = _ok(
            api.post(
                f"/vacancies/{vacancy['id']}/candidates/import",
                content="name,evidence:Working together\nAine Hughes,A\nBen Doyle,B\nCara Quinn,C\n",
                headers={"Content-Type": "text/csv"},
            )
        )["candidates"]
        members = [
            {"assessor": demo_subject(DEMO_ASSESSOR), "name": "Demo Assessor", "is_lead": True},
            {"assessor": demo_subject(DEMO_RECRUITER), "name": "Demo Recruiter"},
        ]
        _ok(api.put(f"/vacancies/{vacancy['id']}/stages/{stage['id']}/panel", json={"members": members}))
        for status in ("open", "scoring"):
            _ok(api.post(f"/vacancies/{vacancy['id']}/status", json={"status": status}))
    sheet = f"/vacancies/{vacancy['id']}/stages/{stage['id']}/candidates/{candidates[0]['id']}/sheet"
    for who, first in ((DEMO_ASSESSOR, 3), (DEMO_RECRUITER, 1)):
        with _api(recruitment, private_pem, demo_subject(who), ["recruitment:read", "recruitment:score"]) as api:
            scores = [{"criterion": "V1", "score": first}] + [{"criterion": c, "score": 3} for c in ("V2", "V3", "V4")]
            _ok(api.put(sheet, json={"scores": scores}))
            _ok(api.post(sheet + "/submit"))
    return {"vacancy": vacancy, "stage": stage, "candidates": candidates}


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict]:
    require_chromium()
    root = tmp_path_factory.mktemp("e2e-recruitment-pages")
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
    run([str(BIN / "web"), "create-demo-users"], env, root)
    with serving([(name, ports[name], urls[name]) for name in ports], env, root):
        made = _set_up(urls["recruitment-api"], (keys_dir / PRIVATE_NAME).read_bytes())
        stage = f"{urls['web']}/recruitment/vacancies/{made['vacancy']['id']}/stages/{made['stage']['id']}"
        yield {**urls, **made, "stage_url": stage}


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


def test_dictated_notes_are_autosaved_and_the_side_list_and_address_follow(servers, browser):
    from playwright.sync_api import expect

    page = open_page(browser)
    _sign_in(page, servers["web"], DEMO_ASSESSOR)
    candidate = f"{servers['stage_url']}/candidates/{servers['candidates'][1]['id']}"
    page.goto(f"{candidate}/sheet")
    expect(page).to_have_url(f"{candidate}/sheet/1")  # the address names the value
    expect(page.get_by_role("heading", level=1)).to_have_text("Working Together")

    # Dictation and paste put text in without a key press: only `input` fires, never keyup or change.
    notes = page.get_by_label("Evidence notes")
    notes.focus()
    page.keyboard.insert_text(DICTATED)
    expect(page.locator("#save-status")).to_contain_text("Saved as a draft")
    expect(notes).to_be_focused()  # nothing was blurred to make it save

    # An answer updates the side list in place.
    side = page.locator("#step-1-state")
    expect(side).to_have_text("not answered yet")
    with page.expect_response(lambda response: response.request.method == "PUT"):
        notes.blur()  # leaving the notes is a `change`, with a save of its own
    saves = []
    page.on("request", lambda request: request.method == "PUT" and saves.append(request.url))
    page.locator('input[name="answer"][value="3"]').check()
    expect(side).to_have_text("answered")
    expect(page.locator("#step-2-state")).to_have_text("not answered yet")
    settle(page, 1500)  # past the notes' delay (1 s): a save the answer's `input` set off would be seen
    assert len(saves) == 1, saves  # one save for one answer

    # Reloading stays on the value being viewed, now answered, with the dictated notes.
    page.reload()
    expect(page).to_have_url(f"{candidate}/sheet/1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Working Together")
    expect(page.get_by_label("Evidence notes")).to_have_value(DICTATED)
    expect(page.locator('input[name="answer"][value="3"]')).to_be_checked()
    assert page.console_errors == []


def test_the_change_form_shows_the_chosen_values_anchors(servers, browser):
    from playwright.sync_api import expect

    page = open_page(browser)
    _sign_in(page, servers["web"], DEMO_ASSESSOR)  # the panel lead
    page.goto(f"{servers['stage_url']}/candidates/{servers['candidates'][0]['id']}/amend")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change a submitted score")
    expect(page.locator("#new-score label")).to_contain_text(
        ["1: Essential", "2: Proficient", "3: Strong", "4: Exemplary"]
    )
    assert page.locator("#new-score .nhsuk-radios__hint").count() == 1  # only "not evidenced" explains itself yet
    page.locator('#new-score input[value="2"]').check()
    page.get_by_label("Value").select_option("V2")
    expect(page.locator("#new-score .nhsuk-radios__hint")).to_have_count(5)  # each score's anchor for V2
    expect(page.locator('#new-score input[value="2"]')).to_be_checked()  # the chosen score is kept
    assert page.console_errors == []


def test_at_375_px_the_results_links_do_not_run_into_each_other(servers, browser):
    from playwright.sync_api import expect

    page = open_page(browser)
    page.set_viewport_size({"width": 375, "height": 800})
    _sign_in(page, servers["web"], DEMO_RECRUITER)  # the recruitment admin
    page.goto(f"{servers['stage_url']}/results")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results and ranking")
    decision = page.get_by_role("link", name="Record a decision").first
    feedback = page.get_by_role("link", name="Feedback").first
    expect(decision).to_be_visible()
    first, second = decision.bounding_box(), feedback.bounding_box()
    assert second["y"] >= first["y"] + first["height"], (first, second)  # stacked, not side by side
    assert first["x"] + first["width"] <= 375 and second["x"] + second["width"] <= 375
    # Values are named, on the phone layout too.
    expect(page.locator(".collective-results tbody tr").first).to_contain_text("Compassion")
    assert page.console_errors == []

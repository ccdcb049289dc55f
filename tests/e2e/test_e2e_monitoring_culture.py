"""In a real browser, issue 9's manager: the demo manager signs in, finds the culture survey's card
on My organisation, reads the culture page (engagement over the two demo waves, a point of the chart
reached by keyboard with its words, the heat map, the questions), goes down to the HSC Leadership
Centre, and chooses Coaching and Mentoring, a team of 7 respondents in the first wave and 8 in the
second: nothing about them is shown, anywhere on the page, only why.

Starts framework-api, recruitment-api, monitoring-api and web as real processes on free ports with
SQLite, each seeded as `make run` does (the demo data and accounts)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from e2e_support import BIN, PATIENT, chromium, free_port, open_page, require_chromium, run, serving

from servicekit.keys import PRIVATE_NAME, PUBLIC_NAME, ensure_keys

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "e2e-demo-password-long-enough"
SERVICES = ("framework-api", "recruitment-api", "monitoring-api", "web")


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict]:
    require_chromium()
    root = tmp_path_factory.mktemp("e2e-culture")
    keys_dir = root / "keys"
    ensure_keys(keys_dir)
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    public = str(keys_dir / PUBLIC_NAME)
    env = {
        **os.environ,
        **PATIENT,
        "FRAMEWORK_API_DATABASE_URL": f"sqlite:///{root / 'framework.db'}",
        "FRAMEWORK_API_JWT_PUBLIC_KEY_PATH": public,
        "FRAMEWORK_API_PUBLIC_BASE_URL": urls["framework-api"],
        "RECRUITMENT_API_DATABASE_URL": f"sqlite:///{root / 'recruitment.db'}",
        "RECRUITMENT_API_JWT_PUBLIC_KEY_PATH": public,
        "RECRUITMENT_API_SERVICE_SIGNING_KEY_PATH": str(keys_dir / PRIVATE_NAME),
        "RECRUITMENT_API_FRAMEWORK_API_URL": urls["framework-api"],
        "MONITORING_API_DATABASE_URL": f"sqlite:///{root / 'monitoring.db'}",
        "MONITORING_API_JWT_PUBLIC_KEY_PATH": public,
        "MONITORING_API_PUBLIC_BASE_URL": urls["monitoring-api"],
        "WEB_DATABASE_URL": f"sqlite:///{root / 'web.db'}",
        "WEB_KEYS_DIR": str(keys_dir),
        "WEB_FRAMEWORK_API_URL": urls["framework-api"],
        "WEB_RECRUITMENT_API_URL": urls["recruitment-api"],
        "WEB_MONITORING_API_URL": urls["monitoring-api"],
        "COLLECTIVE_DEMO_PASSWORD": DEMO_PASSWORD,
    }
    for command in (
        ["framework-api", "migrate"],
        ["framework-api", "seed"],
        ["recruitment-api", "migrate"],
        ["recruitment-api", "seed-demo"],
        ["monitoring-api", "migrate"],
        ["monitoring-api", "seed"],
        ["monitoring-api", "seed-demo"],
        ["web", "migrate"],
        ["web", "create-demo-users"],
    ):
        run([str(BIN / command[0]), *command[1:]], env, root)
    with serving([(name, ports[name], urls[name]) for name in SERVICES], env, root):
        yield urls


@pytest.fixture
def browser(servers):
    with chromium() as launched:
        yield launched


def _words(locator) -> str:
    return " ".join(locator.inner_text().split())


def test_a_manager_reads_the_culture_page_and_a_team_of_seven_shows_nothing(servers, browser):
    from playwright.sync_api import expect

    from monitoring_api.seed.survey_demo import RESPONDENTS

    assert RESPONDENTS["COACHING"][0][0] == 7  # the demo's small team: 7 respondents, then 8
    web = servers["web"]
    page = open_page(browser)
    page.goto(f"{web}/sign-in")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{web}/monitoring")

    # My organisation's card: the latest wave's engagement, and the way to the culture page.
    card = page.locator("section", has=page.get_by_role("heading", name="Culture survey"))
    expect(card).to_contain_text("Culture survey autumn 2026")
    expect(card).to_contain_text("out of 10")
    card.get_by_role("link", name="See the culture survey results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Culture survey results")
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link", name="Culture survey")).to_have_attribute(
        "aria-current", "page"
    )

    # Engagement over the two waves: a point reached by keyboard says its series, wave and score.
    expect(page.locator("svg.culture-trend")).to_be_visible()
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('class')") == "culture-point":
            break
    else:
        pytest.fail("no point of the chart took the focus by keyboard")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.fullmatch(r"Staff engagement, Culture survey autumn 2025: \d+\.\d out of 10", label), label
    expect(page.get_by_role("heading", name="Each question")).to_be_visible()
    expect(page.get_by_text("two-proportion z-test (pooled proportion, two-sided)").first).to_be_visible()

    # Down to the HSC Leadership Centre: Coaching and Mentoring's row says why, and nothing else.
    heat = page.locator("section", has=page.get_by_role("heading", name=re.compile("cultural characteristics")))
    heat.get_by_role("link", name="HSC Leadership Centre").click()
    expect(page.locator(".nhsuk-caption-l")).to_have_text("HSC Leadership Centre")
    heat = page.locator("section", has=page.get_by_role("heading", name=re.compile("cultural characteristics")))
    row = heat.get_by_role("row", name=re.compile("Coaching and Mentoring"))
    expect(row).to_contain_text("Fewer than 10 responses")
    assert not re.search(r"\d", _words(row).replace("Fewer than 10 responses", ""))

    # The team's own page: every figure withheld, no point drawn, no number about them.
    coaching = page.locator("#unit option", has_text="Coaching and Mentoring").get_attribute("value")
    page.get_by_label("Unit", exact=True).select_option(value=coaching)
    page.get_by_role("button", name="Show the results").click()
    expect(page.locator(".nhsuk-caption-l")).to_have_text("Coaching and Mentoring")
    expect(page.locator("#engagement-latest")).to_have_text("Fewer than 10 responses")
    expect(page.locator(".culture-point")).to_have_count(0)
    for name in ("Staff engagement", re.compile("cultural characteristics"), "Each question"):
        section = _words(page.locator("section", has=page.get_by_role("heading", name=name)))
        for known in (
            "Culture survey autumn 2025",
            "Culture survey autumn 2026",
            "fewer than 10 responses",
            "out of 10",
            "0 to 10",
            "p < 0.05",
            "below 2, 2 to 4, 4 to 6, 6 to 8, 8 and above",
        ):
            section = re.sub(re.escape(known), "", section, flags=re.I)
        assert not re.search(r"\d", section), section
    assert page.console_errors == []

"""In a real browser, issue 8's manager: the demo manager signs in and lands on My organisation,
follows an indicator to its chart, tabs to a point and hears its date, value and type, and records a
check-in on an action of the plan; with monitoring-api stopped for part of it (its panels and the
chart become notices, the rest of the page renders, the check-in is not recorded and the page says
why), and working again once it is back.

Starts framework-api, recruitment-api, monitoring-api and web as real processes on free ports with
SQLite (each seeded as `make run` does, with the demo data), and the demo accounts. The web reaches
monitoring-api through a TCP proxy the test stops and starts (tests/tcp_proxy.py), as a service that
went away and came back."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from e2e_support import BIN, PATIENT, chromium, free_port, open_page, require_chromium, run, serving

from servicekit.keys import PRIVATE_NAME, PUBLIC_NAME, ensure_keys
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "e2e-demo-password-long-enough"
SERVICES = ("framework-api", "recruitment-api", "monitoring-api", "web")


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict]:
    require_chromium()
    root = tmp_path_factory.mktemp("e2e-monitoring")
    keys_dir = root / "keys"
    ensure_keys(keys_dir)
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    proxy = TcpProxy("127.0.0.1", ports["monitoring-api"])
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
        "WEB_MONITORING_API_URL": f"http://127.0.0.1:{proxy.port}",
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
    proxy.start()
    try:
        with serving([(name, ports[name], urls[name]) for name in SERVICES], env, root):
            yield {**urls, "proxy": proxy}
    finally:
        proxy.stop()


@pytest.fixture
def browser(servers):
    with chromium() as launched:
        yield launched


def test_a_manager_sees_their_organisation_reads_a_chart_and_checks_in(servers, browser):
    from playwright.sync_api import expect

    web, proxy = servers["web"], servers["proxy"]
    page = open_page(browser)

    # Signing in lands on My organisation, filled from the demo data.
    page.goto(f"{web}/sign-in")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{web}/monitoring")
    expect(page.get_by_role("heading", level=1)).to_have_text("My organisation")
    expect(page.get_by_role("heading", name="Implementation plan")).to_be_visible()
    indicators = page.locator("section", has=page.get_by_role("heading", name="Outcome indicators"))
    expect(indicators.get_by_role("img").first).to_be_visible()  # an MDC icon, with its words
    expect(page.locator("section", has=page.get_by_role("heading", name="Recruitment"))).to_contain_text("in scoring")

    # Follow an indicator to its chart, and tab to a point.
    link = indicators.get_by_role("link", name="Staff who would recommend their organisation as a place to work")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Staff who would recommend their organisation as a place to work"
    )
    expect(page.locator("svg.spc-chart")).to_be_visible()
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('class')") == "spc-point":
            break
    else:
        pytest.fail("no point of the chart took the focus by keyboard")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert "2023" in label and "variation" in label, label  # the first month, its value and its type
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('class')") == "spc-point"  # the next point

    # monitoring-api goes away: the chart and the monitoring panels are notices, the rest renders.
    proxy.stop()
    try:
        page.reload()
        expect(page.get_by_text("The monitoring service is not available just now")).to_be_visible()
        page.get_by_role("navigation", name="Menu").get_by_role("link", name="My organisation").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My organisation")
        # The plan, the indicators and the culture survey's card.
        expect(page.get_by_text("The monitoring service is not available just now")).to_have_count(3)
        expect(page.locator("section", has=page.get_by_role("heading", name="Recruitment"))).to_contain_text(
            "in scoring"
        )
    finally:
        proxy.start()

    # Back again: an action that needs attention, and a check-in on it.
    page.reload()
    watch = page.locator("ul.collective-watch").first
    watch.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Check in")).to_be_visible()
    item_url = page.url
    page.get_by_label("On track").check()
    page.get_by_label("Confidence that it will be done").fill("7")
    page.get_by_label("What happened").fill("Agreed the programme with the HSC Leadership Centre")

    # monitoring-api stops just before the form is sent: the check-in is not recorded, and says so.
    proxy.stop()
    try:
        page.get_by_role("button", name="Record the check-in").click()
        expect(page.get_by_role("link", name="The check-in was not recorded")).to_be_visible()
        expect(page.get_by_role("heading", name="The monitoring service is not available just now")).to_be_visible()
    finally:
        proxy.start()

    page.goto(item_url)
    page.get_by_label("On track").check()
    page.get_by_label("Confidence that it will be done").fill("7")
    page.get_by_label("What happened").fill("Agreed the programme with the HSC Leadership Centre")
    page.get_by_role("button", name="Record the check-in").click()
    timeline = page.locator("ol.collective-timeline")
    expect(timeline).to_contain_text("Agreed the programme with the HSC Leadership Centre")
    expect(timeline.locator("li").first).to_contain_text("On track")
    assert page.console_errors == []

"""In a real browser: sign in, open the seeded framework's published version, search it live with
htmx, and read an item's level descriptors.

Starts framework-api and web as real processes on free ports with SQLite in a temporary folder,
and drives Debian's Chromium (/usr/bin/chromium) with Playwright; never downloads a browser."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from e2e_support import BIN, PATIENT, chromium, free_port, open_page, require_chromium, run, serving

from servicekit.keys import PUBLIC_NAME, ensure_keys

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "e2e-admin-password-long-enough"


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, str]]:
    require_chromium()
    root = tmp_path_factory.mktemp("e2e")
    keys_dir = root / "keys"
    ensure_keys(keys_dir)
    framework_port, web_port = free_port(), free_port()
    framework_url, web_url = f"http://127.0.0.1:{framework_port}", f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        **PATIENT,
        "FRAMEWORK_API_DATABASE_URL": f"sqlite:///{root / 'framework.db'}",
        "FRAMEWORK_API_JWT_PUBLIC_KEY_PATH": str(keys_dir / PUBLIC_NAME),
        "FRAMEWORK_API_PUBLIC_BASE_URL": framework_url,
        "WEB_DATABASE_URL": f"sqlite:///{root / 'web.db'}",
        "WEB_KEYS_DIR": str(keys_dir),
        "WEB_FRAMEWORK_API_URL": framework_url,
        "COLLECTIVE_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    run([str(BIN / "framework-api"), "migrate"], env, root)
    run([str(BIN / "framework-api"), "seed"], env, root)
    run([str(BIN / "web"), "migrate"], env, root)
    created = run([str(BIN / "web"), "create-admin", "--username", "admin", "--org", "BSO"], env, root)
    assert ADMIN_PASSWORD not in created

    with serving([("framework-api", framework_port, framework_url), ("web", web_port, web_url)], env, root):
        yield {"web": web_url, "framework": framework_url}


@pytest.fixture
def browser(servers):
    with chromium() as launched:
        yield launched


def _open(browser, *, javascript: bool = True):
    return open_page(browser, javascript=javascript)


def _sign_in_and_open_the_published_version(page, web: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{web}/")
    expect(page).to_have_url(f"{web}/sign-in")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome to Collective")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Framework").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Frameworks")
    page.get_by_role("link", name="HSC Collective Leadership Framework").click()
    versions = page.get_by_role("table")
    expect(versions).to_contain_text("Published")
    versions.get_by_role("link", name="Version 1.0.0").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("HSC Collective Leadership Framework")


SEARCH_LABEL = "Words in an item's code, statement or description"


def test_sign_in_search_live_and_read_level_descriptors(servers, browser):
    from playwright.sync_api import expect

    page = _open(browser)
    _sign_in_and_open_the_published_version(page, servers["web"])
    version_url = page.url

    # Typing fires htmx (keyup changed delay:300ms): the results appear without leaving the page.
    page.get_by_label(SEARCH_LABEL).press_sequentially("compassion", delay=40)
    results = page.locator("#search-results li")
    expect(results.first).to_be_visible()
    expect(page.locator("#search-count")).to_contain_text("match “compassion”")
    assert page.url == version_url

    # Open a capability from the results and read what it looks like at each level.
    capability = results.filter(has=page.locator(".nhsuk-tag", has_text="Capability")).first
    capability.get_by_role("link").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("What it looks like at each level")
    for level in ("Essential", "Proficient", "Strong", "Exemplary"):
        expect(table.get_by_role("rowheader", name=level)).to_be_visible()
    expect(table.locator(".collective-descriptors__threshold")).to_contain_text("Expected standard")

    assert page.console_errors == []  # no CSP violation, no script error


def test_search_works_without_javascript(servers, browser):
    from playwright.sync_api import expect

    page = _open(browser, javascript=False)
    _sign_in_and_open_the_published_version(page, servers["web"])
    version_url = page.url
    page.get_by_label(SEARCH_LABEL).fill("compassion")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(f"{version_url}/search?q=compassion")
    expect(page.locator("#search-results li").first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("HSC Collective Leadership Framework")

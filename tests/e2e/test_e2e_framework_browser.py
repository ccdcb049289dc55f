"""In a real browser: sign in, open the seeded framework's published version, search it live with
htmx, and read an item's level descriptors.

Starts framework-api and web as real processes on free ports with SQLite in a temporary folder,
and drives Debian's Chromium (/usr/bin/chromium) with Playwright; never downloads a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicekit.keys import PUBLIC_NAME, ensure_keys

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "e2e-admin-password-long-enough"
BIN = Path(sys.executable).parent


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _wait_until_live(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/livez", timeout=2) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"{url} did not come up within {timeout}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, str]]:
    _require_chromium()
    root = tmp_path_factory.mktemp("e2e")
    keys_dir = root / "keys"
    ensure_keys(keys_dir)
    framework_port, web_port = _free_port(), _free_port()
    framework_url, web_url = f"http://127.0.0.1:{framework_port}", f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "FRAMEWORK_API_DATABASE_URL": f"sqlite:///{root / 'framework.db'}",
        "FRAMEWORK_API_JWT_PUBLIC_KEY_PATH": str(keys_dir / PUBLIC_NAME),
        "FRAMEWORK_API_PUBLIC_BASE_URL": framework_url,
        "WEB_DATABASE_URL": f"sqlite:///{root / 'web.db'}",
        "WEB_KEYS_DIR": str(keys_dir),
        "WEB_FRAMEWORK_API_URL": framework_url,
        "COLLECTIVE_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    _run([str(BIN / "framework-api"), "migrate"], env, root)
    _run([str(BIN / "framework-api"), "seed"], env, root)
    _run([str(BIN / "web"), "migrate"], env, root)
    created = _run([str(BIN / "web"), "create-admin", "--username", "admin", "--org", "BSO"], env, root)
    assert ADMIN_PASSWORD not in created

    processes: list[subprocess.Popen] = []
    try:
        for name, port, url in (("framework-api", framework_port, framework_url), ("web", web_port, web_url)):
            log = root / f"{name}.log"
            with log.open("w") as handle:
                process = subprocess.Popen(
                    [str(BIN / name), "serve", "--host", "127.0.0.1", "--port", str(port)],
                    env=env,
                    cwd=root,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            _wait_until_live(url, process, log)
        yield {"web": web_url, "framework": framework_url}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def browser(servers):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, *, javascript: bool = True):
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    return page


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

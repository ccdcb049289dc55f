"""What the browser tests share: Debian's Chromium (never a downloaded browser), free ports, the
real processes started with SQLite in a temporary folder, and pages that record console errors.

Every wait here is for a condition (a server answering /livez, an element in a state, a response);
the time limits only bound how long a broken run takes to fail, so they are generous: the suite
runs in parallel (pytest-xdist) on small CI machines that may be busy with other work."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from support import free_port as free_port  # the e2e modules' servers' ports

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
BIN = Path(sys.executable).parent
# How long a Playwright action or expectation waits for its condition before failing (ms).
BROWSER_WAIT_MS = 30_000
# Settings for the real processes: the longest waits they allow, so a busy machine slows a test
# down rather than turning a slow answer into a 503 (the services' own limits are tested elsewhere).
PATIENT = {
    "FRAMEWORK_API_DB_WAIT_SECONDS": "60",
    "RECRUITMENT_API_DB_WAIT_SECONDS": "60",
    "RECRUITMENT_API_FRAMEWORK_API_TIMEOUT_SECONDS": "60",
    "MONITORING_API_DB_WAIT_SECONDS": "60",
    "WEB_DB_WAIT_SECONDS": "60",
    "WEB_SERVICE_TIMEOUT_SECONDS": "60",
    "WEB_PASSWORD_HASHING_WAIT_SECONDS": "60",
}


def require_chromium() -> None:
    """Skip without Chromium, except in CI (CI=true), where its absence is a failure."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def wait_until_live(url: str, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    """Until the server answers /livez; it exiting fails at once, the time limit only if it hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/livez", timeout=30) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not come up within {timeout}s:\n{log.read_text()}")


@contextmanager
def serving(servers: Sequence[tuple[str, int, str]], env: dict[str, str], root: Path) -> Iterator[None]:
    """Start each (command name, port, URL) with `serve`, wait until it is live, stop them all after."""
    processes: list[subprocess.Popen] = []
    try:
        for name, port, url in servers:
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
            wait_until_live(url, process, log)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, *, javascript: bool = True):
    """A page in a fresh context (its own cookies) that collects console errors (CSP violations
    and script errors) in `page.console_errors`."""
    context = browser.new_context(java_script_enabled=javascript)
    context.set_default_timeout(BROWSER_WAIT_MS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    return page


def settle(page, milliseconds: int) -> None:
    """Let every timer the page has set for the next `milliseconds` fire, and make sure every request
    those timers started has been reported to the `request` listeners, however slow the machine.

    A timer set now for `milliseconds` runs after every timer of the page due no later (timers run
    in order of due time), and a request the page starts after it is reported after every request
    it started before (one page, one ordered event stream)."""
    page.evaluate("ms => new Promise(resolve => setTimeout(resolve, ms))", milliseconds)
    marker = f"/livez?settled={time.monotonic_ns()}"
    with page.expect_request(lambda request: request.url.endswith(marker)):
        page.evaluate("url => fetch(url).then(() => null, () => null)", marker)

"""What the browser tests share: Debian's Chromium (never a downloaded browser), free ports, the
real processes started with SQLite in a temporary folder, and pages that record console errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

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


def require_chromium() -> None:
    """Skip without Chromium, except in CI (CI=true), where its absence is a failure."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def wait_until_live(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
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
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

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
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    return page

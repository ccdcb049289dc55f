"""axe-core (web/node_modules, a dev dependency in web/package-lock.json) run in Debian's Chromium
on pages of an app in process: Playwright asks for `http://web.test/...` and every request is
answered by the app through a TestClient (its cookies are the signed-in user's), so the pages are
checked with their real styles and scripts without starting a server.

axe is injected into each page after it loads (the context bypasses the page's CSP, which refuses
inline scripts, only for that); the rules are WCAG 2.0, 2.1 and 2.2 A and AA."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from e2e_support import BROWSER_WAIT_MS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from fastapi.testclient import TestClient

AXE = Path(__file__).resolve().parents[1] / "web" / "node_modules" / "axe-core" / "axe.min.js"
ORIGIN = "http://web.test"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Headers a browser sets that the app must not see from Playwright's request as they are.
_DROPPED = {"host", "content-length", "connection", "accept-encoding"}


def require_axe() -> None:
    require_chromium()
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix web` (make setup)")


Step = str | tuple[str, Callable[[Any], None]]


def violations(browser: TestClient, steps: Sequence[Step]) -> dict[str, list[dict[str, Any]]]:
    """{path: axe's violations} for each page, as `browser` (a signed-in TestClient) sees it. A step
    is a path, or (path, act): `act(page)` runs on the loaded page first (fills and sends a form,
    say) and axe checks the page it leaves."""
    from playwright.sync_api import Route, sync_playwright

    require_axe()

    def answer(route: Route) -> None:
        request = route.request
        headers = {name: value for name, value in request.headers.items() if name.lower() not in _DROPPED}
        response = browser.request(
            request.method, request.url.removeprefix(ORIGIN), headers=headers, content=request.post_data_buffer
        )
        # The TestClient has decoded the body already.
        dropped = ("content-length", "content-encoding")
        kept = {name: value for name, value in response.headers.items() if name.lower() not in dropped}
        route.fulfill(status=response.status_code, headers=kept, body=response.content)

    found: dict[str, list[dict[str, Any]]] = {}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(bypass_csp=True)
            context.set_default_timeout(BROWSER_WAIT_MS)
            context.route(f"{ORIGIN}/**", answer)
            page = context.new_page()
            for step in steps:
                path, act = (step, None) if isinstance(step, str) else step
                page.goto(ORIGIN + path)
                if act is not None:
                    act(page)
                    page.wait_for_load_state()
                page.add_script_tag(path=str(AXE))
                result = page.evaluate(
                    "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
                )
                assert result["passes"], f"axe checked nothing on {path}"
                found[path if act is None else f"{path} (after {act.__name__})"] = [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"][:5]],
                    }
                    for v in result["violations"]
                ]
        finally:
            chromium.close()
    return found

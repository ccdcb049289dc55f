"""My organisation, the manager's home: how long the web takes for the whole page, next to the
slowest single call to a service the page makes (target: at most 1.3 times it).

Starts framework-api, recruitment-api, monitoring-api and the web as real processes (one uvicorn
worker each) on free loopback ports with SQLite in a temporary folder, seeded as `make run` seeds
them (the framework, the demo vacancy, monitoring-api's demo data, the demo accounts), signs in as the
demo `manager` (a manager of BSO who also administers recruitment, so the page has every
panel), then measures in alternating rounds, sequentially on keep-alive connections:

- the page: `GET /monitoring` on the web (session cookie);
- each call the page makes, sent straight to its service with the token the web would send for
  the same user: monitoring-api `GET /overview` (the plan, the indicators and the culture card in
  one read); recruitment-api `GET /vacancies?limit=500`, and for each vacancy in scoring
  `GET /vacancies/{id}/design` and `GET .../stages/{id}/reliability`;
- for comparison, marked "(before)" and left out of the ratios: the four monitoring-api reads the
  page made before `GET /overview` (`GET /plan/items?org=BSO&limit=500`,
  `GET /summary?level=1&limit=500`, `GET /survey-waves` and the latest closed wave's
  `GET /survey-waves/{id}/results`);
- baselines: the web's `GET /` (the session read and a template, no service call) and `GET /livez`.

Prints the median and p95 of each, and the page's median as a ratio to the slowest single call's,
to the sum of all the calls, and to the busiest service's calls one after another. The page asks
the services at once, but each service runs one worker here and its calls are Python work, so the
page's calls to one service share that worker: the page costs at least the busiest service's calls
together, plus the web's own work (hence one read of monitoring-api, not four).

    uv run python bench/bench_my_organisation.py [--requests 200] [--rounds 10]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
from _support import Sample, client_for, run_cli, running_service, service_env, timed, token_for

from servicekit.demo import DEMO_ORG, demo_subject
from servicekit.keys import ensure_keys
from web.accounts.roles import service_scopes_for

PASSWORD = "bench-password-for-everyone"  # noqa: S105 - throwaway accounts in a throwaway database
MANAGER = "manager"
MANAGER_ROLES = ["manager", "recruitment_admin"]
TARGET = 1.3
WAVES_PAGE = 500  # web.monitoring.culture.PAGE
BEFORE = "(before) "  # the reads the page made before monitoring-api's GET /overview


def sign_in(web: str) -> httpx.Client:
    browser = httpx.Client(base_url=web, timeout=120, trust_env=False)
    page = browser.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    form = {"username": MANAGER, "password": PASSWORD, "next": "/", "csrf_token": token[1] if token else ""}
    answer = browser.post("/sign-in", data=form)
    if answer.status_code != 303 or answer.headers.get("location") != "/monitoring":
        raise SystemExit(f"signing in as {MANAGER} failed: {answer.status_code} {answer.text[:300]}")
    return browser


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind (default 200)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up requests of each kind (default 10)")
    options = parser.parse_args()

    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-my-organisation-")))
        keys = work / "keys"
        private_key, public_key = ensure_keys(keys)
        framework_env = service_env("framework_api", work / "framework.db", public_key)
        run_cli("framework_api", ["migrate"], framework_env, work)
        run_cli("framework_api", ["seed"], framework_env, work)
        framework, _ = stack.enter_context(running_service("framework_api", work, framework_env, "framework"))
        recruitment_env = service_env(
            "recruitment_api",
            work / "recruitment.db",
            public_key,
            {"FRAMEWORK_API_URL": framework, "SERVICE_SIGNING_KEY_PATH": str(private_key)},
        )
        run_cli("recruitment_api", ["migrate"], recruitment_env, work)
        run_cli("recruitment_api", ["seed-demo"], recruitment_env, work)
        recruitment, _ = stack.enter_context(running_service("recruitment_api", work, recruitment_env, "recruitment"))
        monitoring_env = service_env("monitoring_api", work / "monitoring.db", public_key)
        for command in (["migrate"], ["seed"], ["seed-demo"]):
            run_cli("monitoring_api", command, monitoring_env, work)
        monitoring, _ = stack.enter_context(running_service("monitoring_api", work, monitoring_env, "monitoring"))
        web_env = service_env(
            "web",
            work / "web.db",
            public_key,
            {
                "KEYS_DIR": str(keys),
                "FRAMEWORK_API_URL": framework,
                "RECRUITMENT_API_URL": recruitment,
                "MONITORING_API_URL": monitoring,
            },
        )
        # A patient timeout: a busy machine makes the page slow, never a notice (measured apart).
        web_env |= {"COLLECTIVE_DEMO_PASSWORD": PASSWORD, "WEB_SERVICE_TIMEOUT_SECONDS": "60"}
        for command in (["migrate"], ["create-demo-users"]):
            run_cli("web", command, web_env, work)
        web, _ = stack.enter_context(running_service("web", work, web_env, "web"))

        browser = sign_in(web)
        stack.callback(browser.close)
        token = token_for(
            private_key.read_bytes(), demo_subject(MANAGER), DEMO_ORG, sorted(service_scopes_for(MANAGER_ROLES))
        )
        monitoring_api = stack.enter_context(client_for(monitoring, token))
        recruitment_api = stack.enter_context(client_for(recruitment, token))

        calls: dict[str, Callable[[], httpx.Response]] = {
            "page GET /monitoring": lambda: browser.get("/monitoring"),
            # The plan, the indicators and the culture card: one read of monitoring-api.
            "monitoring /overview": lambda: monitoring_api.get("/overview"),
            "recruitment /vacancies": lambda: recruitment_api.get("/vacancies", params={"limit": 500}),
        }
        # Not the page's: the four reads the page made before GET /overview, for comparison.
        calls[f"{BEFORE}monitoring /plan/items"] = lambda: monitoring_api.get(
            "/plan/items", params={"org": DEMO_ORG, "limit": 500}
        )
        calls[f"{BEFORE}monitoring /summary"] = lambda: monitoring_api.get(
            "/summary", params={"level": 1, "limit": 500}
        )
        calls[f"{BEFORE}monitoring /survey-waves"] = lambda: monitoring_api.get(
            "/survey-waves", params={"limit": WAVES_PAGE}
        )
        waves = monitoring_api.get("/survey-waves", params={"limit": WAVES_PAGE}).json()["items"]
        closed = sorted(
            (w for w in waves if w["org"] == DEMO_ORG and w["status"] == "closed"),
            key=lambda w: (w["opens"], w["created_at"]),
        )
        if closed:
            results = f"/survey-waves/{closed[-1]['id']}/results"
            calls[f"{BEFORE}monitoring /survey-waves/{{id}}/results"] = lambda: monitoring_api.get(results)
        vacancies = recruitment_api.get("/vacancies", params={"limit": 500}).json()["items"]
        for vacancy in (v for v in vacancies if v["status"] == "scoring"):
            design = f"/vacancies/{vacancy['id']}/design"
            calls[f"recruitment {design[:22]}…/design"] = lambda design=design: recruitment_api.get(design)
            for stage in recruitment_api.get(design).json()["stages"]:
                path = f"/vacancies/{vacancy['id']}/stages/{stage['id']}/reliability"
                calls[f"recruitment …/stages/{stage['id']}/reliability"[:60]] = lambda path=path: recruitment_api.get(
                    path
                )
        # Baselines: the web's own work (a page that asks no service), and the web's /livez.
        calls["web GET / (no service call)"] = lambda: browser.get("/")
        calls["web GET /livez"] = lambda: browser.get("/livez")
        for call in calls.values():
            for _ in range(options.warmup):
                call()
        page = browser.get("/monitoring").text
        notices = re.findall(r'data-notice="[^"]+">\s*<div class="nhsuk-card__content">\s*<h2[^>]*>([^<]+)<', page)
        if notices:
            raise SystemExit(f"the page shows notices: {notices}; see the services' logs in {work}")

        samples = {name: Sample() for name in calls}
        per_round = max(1, options.requests // options.rounds)
        names = list(calls)
        for round_ in range(options.rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                for _ in range(per_round):
                    timed(samples[name], calls[name])

    failures = {name: s.failures[:3] for name, s in samples.items() if s.failures}
    print(
        "My organisation: framework-api, recruitment-api, monitoring-api and the web, one uvicorn worker each, "
        f"SQLite, loopback, sequential keep-alive requests; {per_round * options.rounds} of each kind in "
        f"{options.rounds} alternating rounds"
    )
    print(f"{'request':<60} {'median ms':>10} {'p95 ms':>8}")
    for name, sample in samples.items():
        print(f"{name:<60} {sample.median_ms:>10.2f} {sample.p95_ms:>8.2f}")
    page_sample = samples[names[0]]
    singles = {
        name: s
        for name, s in samples.items()
        if name != names[0] and not name.startswith("web ") and not name.startswith(BEFORE)
    }
    slowest_name, slowest = max(singles.items(), key=lambda item: item[1].median_ms)
    ratio = page_sample.median_ms / slowest.median_ms
    total = sum(s.median_ms for s in singles.values())
    by_service: dict[str, float] = {}
    for name, sample in singles.items():
        service = name.split()[0]
        by_service[service] = by_service.get(service, 0.0) + sample.median_ms
    print(f"ratio page / slowest single call ({slowest_name}), medians: x{ratio:.2f} (target at most x{TARGET})")
    print(f"ratio page / sum of the {len(singles)} calls, medians: x{page_sample.median_ms / total:.2f}")
    busiest, busiest_ms = max(by_service.items(), key=lambda item: item[1])
    print(
        f"ratio page / the busiest service's calls one after another ({busiest}, {busiest_ms:.2f} ms; each "
        f"service runs one worker here, so the page's calls to one service share it): "
        f"x{page_sample.median_ms / busiest_ms:.2f}"
    )
    before = {name: s for name, s in samples.items() if name.startswith(BEFORE)}
    if before:
        before_ms = sum(s.median_ms for s in before.values())
        print(
            f"the {len(before)} monitoring-api reads the page made before GET /overview, one after another: "
            f"{before_ms:.2f} ms; GET /overview {samples['monitoring /overview'].median_ms:.2f} ms"
        )
    home = samples["web GET / (no service call)"]
    beyond = page_sample.median_ms - home.median_ms
    print(
        f"the web's own work (GET /, no service call) {home.median_ms:.2f} ms; the page beyond it "
        f"{beyond:.2f} ms, x{beyond / slowest.median_ms:.2f} the slowest single call"
    )
    if failures:
        print(f"FAILED: {failures}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

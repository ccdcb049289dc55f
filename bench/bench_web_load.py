"""Does the web hold 200 people at once, with framework-api and recruitment-api behind it?

Starts framework-api, recruitment-api and the web as real processes (one uvicorn worker each) on
free loopback ports, each on a fresh PostgreSQL database created for the run and dropped
afterwards, seeded as `make run` seeds them (the HSC framework, the demo vacancy, the admin and
demo accounts). Then locust (`bench/locust_web.py`, headless):

0. a sign-in storm: 200 people sign in at once (each a session of its own, as one of the accounts
   admin, recruiter and assessor; argon2id for each): how long until all are in, and errors.
1. pages: the 200 signed-in users, no think time, 60 s in all, open page after page: home, the
   framework list, the seeded version, a live search, an item, the recruitment hub, my panels.
2. baseline: the same 200 users asking the web's `GET /livez`, 21 s in all.

The two alternate in 3 rounds, so both see the same machine load. Prints p50 and p99 latency and
requests/s per page, the number of errors (any answer but 2xx or the sign-in's 303, or none), the
requests still unanswered when a round ended (locust records nothing of them) and how long they had
waited, and the ratio of page throughput to livez throughput. Exits non-zero on any error, printing
the end of each service's log; `--keep` keeps the run's folder (logs, locust's records) and says where.

    uv run python bench/bench_web_load.py [--users 200] [--seconds 60] [--livez-seconds 21] [--rounds 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from _support import (
    add_locust_options,
    alternate_locust_rounds,
    fresh_postgres,
    percentile,
    print_ratio,
    report_locust_rounds,
    run_cli,
    run_folder,
    running_service,
    service_env,
)

from servicekit.keys import ensure_keys

HERE = Path(__file__).resolve().parent
SEEDED_VERSION = "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef"  # HSC Collective Leadership Framework 1.0.0
PASSWORD = "bench-password-for-everyone"  # noqa: S105 - throwaway accounts in a throwaway database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_locust_options(parser)
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (services' logs, locust's records)")
    options = parser.parse_args()

    with ExitStack() as stack:
        work = run_folder(stack, "bench-web-load-", options.keep)
        keys = work / "keys"
        private_key, public_key = ensure_keys(keys)
        databases = {
            name: stack.enter_context(fresh_postgres(options.database_url, f"bench_{name}"))
            for name in ("framework", "recruitment", "web")
        }
        framework_env = service_env(
            "framework_api", work / "x.db", public_key, {"DATABASE_URL": databases["framework"]}
        )
        run_cli("framework_api", ["migrate"], framework_env, work)
        run_cli("framework_api", ["seed"], framework_env, work)
        framework, _ = stack.enter_context(running_service("framework_api", work, framework_env, "framework"))
        recruitment_env = service_env(
            "recruitment_api",
            work / "x.db",
            public_key,
            {
                "DATABASE_URL": databases["recruitment"],
                "FRAMEWORK_API_URL": framework,
                "SERVICE_SIGNING_KEY_PATH": str(private_key),
            },
        )
        run_cli("recruitment_api", ["migrate"], recruitment_env, work)
        run_cli("recruitment_api", ["seed-demo"], recruitment_env, work)
        recruitment, _ = stack.enter_context(running_service("recruitment_api", work, recruitment_env, "recruitment"))
        web_env = service_env(
            "web",
            work / "x.db",
            public_key,
            {
                "DATABASE_URL": databases["web"],
                "KEYS_DIR": str(keys),
                "FRAMEWORK_API_URL": framework,
                "RECRUITMENT_API_URL": recruitment,
            },
        )
        web_env |= {"COLLECTIVE_ADMIN_PASSWORD": PASSWORD, "COLLECTIVE_DEMO_PASSWORD": PASSWORD}
        for command in (["migrate"], ["create-admin"], ["create-demo-users"]):
            run_cli("web", command, web_env, work)
        web, _ = stack.enter_context(running_service("web", work, web_env, "web"))

        import httpx

        tree = httpx.get(
            f"{framework}/versions/{SEEDED_VERSION}/tree",
            headers={"Authorization": "Bearer " + _token(private_key.read_bytes())},
            timeout=30,
        ).json()
        item = _first_item(tree)
        storm = sign_in_storm(web, options.users)
        config = {"cookie": "collective_session", "sessions": storm["sessions"]}
        config |= {"version_id": SEEDED_VERSION, "item_id": item}
        (work / "config.json").write_text(json.dumps(config))
        rounds = alternate_locust_rounds(
            HERE / "locust_web.py", work, web, options, {"WEB_LOAD_CONFIG": str(work / "config.json")}
        )
        logs = {name: (work / f"{name}.log").read_text()[-3000:] for name in ("web", "framework", "recruitment")}

    print(
        f"web under load: framework-api, recruitment-api and the web, one uvicorn worker each, PostgreSQL, "
        f"loopback; {options.users} concurrent signed-in users, no think time; {options.rounds} rounds of pages "
        f"({options.seconds} s in all) alternating with rounds of GET /livez ({options.livez_seconds} s in all)"
    )
    print(
        f"    sign-in storm first: {options.users} people signing in at once (argon2id each), "
        f"{len(storm['sessions'])} signed in, {storm['errors']} errors, all done in {storm['seconds']:.1f} s, "
        f"p50 {percentile(storm['latencies'], 0.5):.0f} ms, p99 {percentile(storm['latencies'], 0.99):.0f} ms"
    )
    for problem in storm["problems"][:3]:
        print(f"    sign-in failure: {problem}")
    rates, errors = report_locust_rounds(rounds)
    errors += storm["errors"]
    report_unfinished(rounds)
    print_ratio(rates, "page")
    if options.keep:
        print(f"    the run's folder (logs, locust's records): {work}")
    if errors:
        for name, tail in logs.items():
            if tail.strip():
                print(f"--- the end of {name}.log ---\n{tail}")
        print(f"FAILED: {errors} errors")
        return 1
    return 0


def report_unfinished(rounds: dict[str, list[dict]]) -> None:
    """The requests still waiting for an answer when a round ended, by name, and the longest wait."""
    waiting = [tuple(entry) for recorded in rounds.values() for r in recorded for entry in r.get("unfinished", [])]
    if not waiting:
        print("    unfinished when a round ended: none")
        return
    counts = Counter(name for name, _ in waiting)
    longest = {name: max(ms for n, ms in waiting if n == name) for name in counts}
    listed = ", ".join(f"{name} {n} (waiting up to {longest[name]:.0f} ms)" for name, n in sorted(counts.items()))
    print(f"    unfinished when a round ended: {len(waiting)}: {listed}")


def sign_in_storm(web: str, people: int) -> dict:
    """`people` browsers sign in at once, each as one of the accounts, into a session of its own:
    the morning of a panel day. Returns the session cookies, the latencies and what failed."""
    import httpx

    accounts = ("admin", "recruiter", "assessor")
    latencies: list[float] = []
    sessions: list[str] = []
    problems: list[str] = []
    lock = threading.Lock()

    def sign_in(n: int) -> None:
        with httpx.Client(base_url=web, timeout=120, trust_env=False) as browser:
            started = time.perf_counter()
            try:
                page = browser.get("/sign-in")
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                form = {"username": accounts[n % 3], "password": PASSWORD, "next": "/"}
                answer = browser.post("/sign-in", data=form | {"csrf_token": token[1] if token else ""})
                problem = None if answer.status_code == 303 else f"{answer.status_code} {answer.text[:200]}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            elapsed = (time.perf_counter() - started) * 1000
            cookie = browser.cookies.get("collective_session")
            with lock:
                latencies.append(elapsed)
                if problem or not cookie:
                    problems.append(problem or "no session cookie")
                else:
                    sessions.append(cookie)

    started = time.perf_counter()
    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "sessions": sessions,
        "latencies": latencies,
        "errors": len(problems),
        "problems": problems,
        "seconds": seconds,
    }


def _token(private_pem: bytes) -> str:
    from servicekit.keys import issue_token

    return issue_token(private_pem, subject="bench", org="BSO", scopes=["framework:read"], ttl_seconds=600)


def _first_item(tree: dict) -> str:
    """The identifier of an item of the tree, for the item page."""
    nodes = tree.get("items") or tree.get("roots") or tree.get("children") or []
    if not nodes:
        raise SystemExit(f"the seeded tree has no items: {str(tree)[:300]}")
    return nodes[0].get("identifier") or nodes[0]["id"]


if __name__ == "__main__":
    sys.exit(main())

"""Do framework-api and monitoring-api hold 200 concurrent readers?

For each service in turn: starts it as a real process (one uvicorn worker, as `serve` runs it) on a
free loopback port against a fresh PostgreSQL database created for the run (and dropped afterwards),
migrated and seeded as `make run` seeds it, then drives it with locust (`bench/locust_reads.py`,
headless): 200 concurrent users with valid tokens and no think time, each making the service's read
mix one request after another on its own keep-alive connection:

- framework-api (a `framework:read` token): `GET /frameworks`, the seeded version's items searched
  for "compassion" (`GET /versions/{id}/items?q=compassion`), one item
  (`GET /versions/{id}/items/{identifier}`) and the CASE package (`GET /versions/{id}/case`, about
  150 kB of JSON, gzipped);
- monitoring-api (a `monitoring:read` token of the demo organisation, BSO): `GET /overview`,
  `GET /summary` of BSO's teams with the special-causes filter, `GET /plan/items?org=BSO`, one
  indicator's chart for one team, `POST /spc` with a 36-point series, and the results of the
  demo's latest closed survey wave.

The mix alternates with rounds of `GET /livez` from the same 200 users (3 rounds each), so both see
the same machine load. Prints per service and per request: count, errors, requests/s, p50, p99 and
max; the errors by status (any answer but 2xx or 3xx is one, a 503 included; 0 is no answer); the
requests still unanswered when a round ended and how long they had waited (a hang is one waiting
longer than `--hang-seconds`); and the ratio of the mix's throughput to livez's. Exits non-zero on
any error or hang, printing the end of the service's log; `--keep` keeps the run's folder.

    uv run python bench/bench_read_load.py [--only framework|monitoring] [--users 200] [--seconds 45]
                                           [--livez-seconds 15] [--rounds 3] [--hang-seconds 10] [--keep]
                                           [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import httpx
from _support import (
    add_locust_options,
    alternate_locust_rounds,
    client_for,
    fresh_postgres,
    print_ratio,
    report_locust_rounds,
    run_cli,
    run_folder,
    running_service,
    service_env,
    token_for,
)

from servicekit.demo import DEMO_ORG
from servicekit.keys import ensure_keys

HERE = Path(__file__).resolve().parent
# One 36-month series for POST /spc: a level, a seasonal wobble, and a shift from month 24.
SPC_POINTS = [
    {
        "date": date(2023 + (n // 12), 1 + n % 12, 1).isoformat(),
        "value": round(50 + (n % 5) * 1.3 - (n % 3) * 0.9 + (6 if n >= 24 else 0), 1),
    }
    for n in range(36)
]


def expect(response: httpx.Response, status: int = 200) -> dict:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")
    return response.json()


def framework_mix(base: str, private_pem: bytes) -> dict:
    """framework-api's read mix on the seeded HSC framework, and a reader's token."""
    token = token_for(private_pem, subject="bench-reader", org=DEMO_ORG, scopes=["framework:read"])
    with client_for(base, token) as client:
        frameworks = expect(client.get("/frameworks"))["items"]
        version = next(f["latest_published"]["id"] for f in frameworks if f.get("latest_published"))
        found = expect(client.get(f"/versions/{version}/items", params={"q": "compassion"}))["items"]
        if not found:
            raise SystemExit("searching the seeded framework for 'compassion' found nothing")
        item = found[0]["identifier"]
    return {
        "token": token,
        "mix": [
            ["frameworks", "GET", "/frameworks", None],
            ["items search", "GET", f"/versions/{version}/items?q=compassion", None],
            ["item", "GET", f"/versions/{version}/items/{item}", None],
            ["CASE package", "GET", f"/versions/{version}/case", None],
        ],
    }


def monitoring_mix(base: str, private_pem: bytes) -> dict:
    """monitoring-api's read mix on the demo data of the demo organisation, and a reader's token."""
    token = token_for(private_pem, subject="bench-reader", org=DEMO_ORG, scopes=["monitoring:read"])
    with client_for(base, token) as client:
        orgs = expect(client.get("/units", params={"level": 1, "limit": 50}))["items"]
        org = next(u for u in orgs if u["code"] == DEMO_ORG)
        teams = expect(client.get("/units", params={"under": org["id"], "level": 3, "limit": 50}))["items"]
        indicators = expect(client.get("/indicators", params={"limit": 50}))["items"]
        chart = f"/indicators/{indicators[0]['id']}/units/{teams[0]['id']}/chart"
        expect(client.get(chart))
        waves = expect(client.get("/survey-waves", params={"limit": 100}))["items"]
        closed = [w for w in waves if w["org"] == DEMO_ORG and w["status"] == "closed"]
        if not closed:
            raise SystemExit("the demo data has no closed survey wave for BSO")
        wave = max(closed, key=lambda w: w["closes"])["id"]
    summary = f"/summary?under={org['id']}&level=3&filter=special_causes&limit=200"
    return {
        "token": token,
        "mix": [
            ["overview", "GET", "/overview", None],
            ["summary filtered", "GET", summary, None],
            ["plan items", "GET", f"/plan/items?org={DEMO_ORG}", None],
            ["chart", "GET", chart, None],
            ["spc 36 points", "POST", "/spc", {"points": SPC_POINTS}],
            ["survey results", "GET", f"/survey-waves/{wave}/results", None],
        ],
    }


# package, seed commands, the read mix
SERVICES: dict[str, tuple[str, list[list[str]], Callable[[str, bytes], dict]]] = {
    "framework": ("framework_api", [["seed"]], framework_mix),
    "monitoring": ("monitoring_api", [["seed"], ["seed-demo"]], monitoring_mix),
}


def run_service(name: str, work: Path, options: argparse.Namespace, private_pem: bytes, public_key: Path) -> dict:
    """One service under load: its rounds, and the end of its log."""
    package, seeds, make_mix = SERVICES[name]
    with fresh_postgres(options.database_url, f"bench_reads_{name}") as database_url:
        env = service_env(package, work / "unused.db", public_key, {"DATABASE_URL": database_url})
        for command in [["migrate"], *seeds]:
            run_cli(package, command, env, work)
        with running_service(package, work, env, name) as (base, _pid):
            config = work / f"{name}.json"
            config.write_text(json.dumps(make_mix(base, private_pem)))
            rounds = alternate_locust_rounds(
                HERE / "locust_reads.py", work / name, base, options, {"READ_LOAD_CONFIG": str(config)}
            )
    return {"rounds": rounds, "log": (work / f"{name}.log").read_text()[-3000:]}


def report(name: str, result: dict, options: argparse.Namespace) -> int:
    """Prints one service's figures; returns its number of errors and hangs."""
    rounds = result["rounds"]
    print(
        f"\n{name}-api under {options.users} concurrent readers: one uvicorn worker, PostgreSQL, loopback, no think "
        f"time; {options.rounds} rounds of the read mix ({options.seconds} s in all) alternating with rounds of "
        f"GET /livez ({options.livez_seconds} s in all)"
    )
    rates, errors = report_locust_rounds(rounds)
    livez_errors = sum(1 for r in rounds["livez"] for n, _, failed in r["requests"] if failed)
    by_status: Counter[tuple[str, int]] = Counter()
    for recorded in [r for mode in rounds.values() for r in mode]:
        for request_name, counts in recorded["statuses"].items():
            for status, count in counts.items():
                if not 200 <= int(status) < 400:
                    by_status[request_name, int(status)] += count
    listed = ", ".join(f"{n} {s}: {c}" for (n, s), c in sorted(by_status.items()))
    print(f"    errors by status (0: no answer): {listed or 'none'}")
    waiting = [tuple(e) for mode in rounds.values() for r in mode for e in r["unfinished"]]
    hangs = [(n, ms) for n, ms in waiting if ms > options.hang_seconds * 1000]
    longest = max((ms for _, ms in waiting), default=0.0)
    print(
        f"    unanswered when a round ended: {len(waiting)} (the longest waiting {longest:.0f} ms); "
        f"waiting over {options.hang_seconds} s (hangs): {len(hangs)}"
    )
    print_ratio(rates, "read mix")
    problems = errors + livez_errors + len(hangs)
    if problems:
        print(f"--- the end of {name}.log ---\n{result['log']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_locust_options(parser)
    parser.set_defaults(seconds=45, livez_seconds=15)
    parser.add_argument("--only", choices=sorted(SERVICES), action="append", help="this service only (repeatable)")
    parser.add_argument("--hang-seconds", type=float, default=10.0, help="an unanswered request waiting longer hangs")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (services' logs, locust's records)")
    options = parser.parse_args()
    # A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C: servers stopped, databases dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    results: dict[str, dict] = {}
    with ExitStack() as stack:
        work = run_folder(stack, "bench-read-load-", options.keep)
        private_key, public_key = ensure_keys(work / "keys")
        for name in options.only or sorted(SERVICES):
            (work / name).mkdir()
            results[name] = run_service(name, work, options, private_key.read_bytes(), public_key)

    problems = sum(report(name, result, options) for name, result in results.items())
    if options.keep:
        print(f"    the run's folder (logs, locust's records): {work}")
    if problems:
        print(f"FAILED: {problems} errors or hangs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

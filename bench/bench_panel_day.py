"""Does recruitment-api hold a panel day: 200 assessors saving, submitting and reading at once?

Starts recruitment-api as a real process (one uvicorn worker, as `recruitment-api serve` runs it)
on a free loopback port against a fresh PostgreSQL database created for the run (and dropped
afterwards), then drives it with locust (`bench/locust_panel_day.py`, headless):

1. scoring: 200 concurrent users for 60 s, no think time. They sit on 50 panels of 4, each the
   interview panel of its own vacancy of 40 candidates; for candidate after candidate each saves
   a draft twice (autosave), submits, and reads the panel's scores; each panel's lead also holds
   `recruitment:admin` and reads the stage's results after each submission.
2. baseline: the same 200 users asking `GET /livez` for 21 s.

The two alternate in 3 rounds (20 s of scoring, then 7 s of livez, three times), so both see the
same machine load; each round scores its own share of the candidates.

Prints p50 and p99 latency and requests/s per kind of request over every round, the number of errors (any answer
but 2xx, or none), and the ratio of scoring throughput (requests/s of the scoring mix) to livez
throughput. Afterwards it counts, in the database, that every submission the service
acknowledged with 200 is a submitted sheet. Exits non-zero on any error or missing submission.

    uv run python bench/bench_panel_day.py [--users 200] [--seconds 60] [--livez-seconds 21] [--rounds 3]
                                           [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from _support import client_for, run_cli, running_service, service_env, token_for
from bench_recruitment import ADMIN_SCOPES, CRITERIA, ORG, create_vacancy, expect
from sqlalchemy import text
from sqlalchemy.engine import make_url

from servicekit.db import make_engine
from servicekit.keys import ensure_keys

HERE = Path(__file__).resolve().parent
ASSESSOR_SCOPES = ["recruitment:read", "recruitment:score"]


@contextmanager
def fresh_postgres(server_url: str):
    """A new database on the server for this run only, dropped afterwards."""
    server = make_url(server_url)
    name = f"collective_bench_{uuid.uuid4().hex[:10]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL at {server.host}:{server.port} cannot be reached: {exc}") from exc
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(base: str, private_pem: bytes, options: argparse.Namespace) -> dict:
    """As many vacancies in scoring as there are panels, each with one interview stage, its
    candidates and a panel of `--panel-size` assessors whose lead is also a recruitment admin."""
    admin_token = token_for(private_pem, subject="bench-admin", org=ORG, scopes=ADMIN_SCOPES)
    seats = []
    with client_for(base, admin_token) as admin:
        for panel in range(options.users // options.panel_size):
            subjects = [f"assessor-{panel:03d}-{n}" for n in range(options.panel_size)]
            members = [{"assessor": s, "is_lead": n == 0} for n, s in enumerate(subjects)]
            vacancy_id, stage_id = create_vacancy(admin, f"Panel day {panel}", members)
            people = [{"name": f"Panel Day Candidate {panel}-{n}"} for n in range(options.candidates)]
            imported = admin.post(f"/vacancies/{vacancy_id}/candidates/import", json={"candidates": people})
            expect(imported, 201)
            candidates = [c["id"] for c in expect(admin.get(f"/vacancies/{vacancy_id}/candidates?limit=500"))["items"]]
            for n, subject in enumerate(subjects):
                scopes = ASSESSOR_SCOPES + (ADMIN_SCOPES if n == 0 else [])
                seats.append(
                    {
                        "subject": subject,
                        "admin": n == 0,
                        "token": token_for(private_pem, subject=subject, org=ORG, scopes=scopes),
                        "vacancy_id": vacancy_id,
                        "stage_id": stage_id,
                        "candidates": candidates,
                    }
                )
    return {"criteria": CRITERIA, "assessors": seats}


def run_locust(work: Path, base: str, mode: str, users: int, seconds: float, round_: int, rounds: int) -> dict:
    """One round of locust, headless, in its own process (it patches the standard library with
    gevent); returns what it recorded: its length, every request and the acknowledged submissions."""
    output = work / f"{mode}-{round_}.json"
    command = [
        sys.executable, "-m", "locust", "-f", str(HERE / "locust_panel_day.py"), "--headless",
        "--host", base, "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{max(1, round(seconds))}s",
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {
        **os.environ,
        "PANEL_DAY_CONFIG": str(work / "config.json"),
        "PANEL_DAY_MODE": mode,
        "PANEL_DAY_ROUND": str(round_),
        "PANEL_DAY_ROUNDS": str(rounds),
        "PANEL_DAY_OUTPUT": str(output),
    }
    result = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, check=False)
    if not output.exists():
        raise SystemExit(f"locust ({mode}) recorded nothing:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(output.read_text())


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200, help="concurrent assessors")
    parser.add_argument("--panel-size", type=int, default=4, help="assessors on each vacancy's panel")
    parser.add_argument("--candidates", type=int, default=40, help="candidates on each vacancy")
    parser.add_argument("--seconds", type=int, default=60, help="scoring, all rounds together")
    parser.add_argument("--livez-seconds", type=int, default=21, help="the livez baseline, all rounds together")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of scoring and livez")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="bench-panel-day-") as folder,
        fresh_postgres(options.database_url) as database_url,
    ):
        work = Path(folder)
        private_key, public_key = ensure_keys(work / "keys")
        private_pem = private_key.read_bytes()
        env = service_env("recruitment_api", work / "unused.db", public_key, {"DATABASE_URL": database_url})
        env["RECRUITMENT_API_SERVICE_SIGNING_KEY_PATH"] = str(private_key)
        run_cli("recruitment_api", ["migrate"], env, work)
        rounds: dict[str, list[dict]] = {"scoring": [], "livez": []}
        with running_service("recruitment_api", work, env, "server") as (base, _pid):
            (work / "config.json").write_text(json.dumps(prepare(base, private_pem, options)))
            # Rounds alternate, so both kinds of request see the same machine load.
            for round_ in range(options.rounds):
                for mode, seconds in (("scoring", options.seconds), ("livez", options.livez_seconds)):
                    recorded = run_locust(
                        work, base, mode, options.users, seconds / options.rounds, round_, options.rounds
                    )
                    rounds[mode].append(recorded)
        acknowledged = [pair for recorded in rounds["scoring"] for pair in recorded["acknowledged"]]
        engine = make_engine(database_url)
        with engine.connect() as connection:
            stored = set(
                connection.execute(
                    text(
                        "SELECT s.assessor, c.uid FROM score_sheet s JOIN candidate c ON c.id = s.candidate_id "
                        "WHERE s.status = 'submitted'"
                    )
                ).all()
            )
        engine.dispose()
        missing = [pair for pair in acknowledged if (pair[0], uuid.UUID(pair[1])) not in stored]

    print(
        f"panel day on recruitment-api: one uvicorn worker, PostgreSQL, loopback; {options.users} concurrent users, "
        f"no think time; {options.rounds} rounds of scoring ({options.seconds} s in all) alternating with rounds "
        f"of GET /livez ({options.livez_seconds} s in all)"
    )
    print(f"    {'request':<14} {'count':>7} {'errors':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rates: dict[str, float] = {}
    errors = 0
    for mode, recorded in rounds.items():
        seconds = sum(r["seconds"] for r in recorded)
        requests = [request for r in recorded for request in r["requests"]]
        for name in [*sorted({n for n, _, _ in requests}), "all " + mode]:
            chosen = [(ms, failed) for n, ms, failed in requests if name in (n, "all " + mode)]
            latencies = [ms for ms, _ in chosen]
            failed = sum(1 for _, f in chosen if f)
            errors += 0 if name.startswith("all ") else failed
            rates[name] = len(chosen) / seconds if seconds else 0.0
            print(
                f"    {name:<14} {len(chosen):>7} {failed:>7} {rates[name]:>8.1f} {percentile(latencies, 0.5):>8.0f} "
                f"{percentile(latencies, 0.99):>8.0f} {max(latencies, default=float('nan')):>8.0f}"
            )
    print(f"    sheets submitted and acknowledged: {len(acknowledged)} ({rates.get('submit', 0.0):.1f}/s)")
    print(f"    acknowledged submissions missing from the database afterwards: {len(missing)}")
    livez_rate = rates.get("all livez", 0.0)
    ratio = rates["all scoring"] / livez_rate if livez_rate else float("nan")
    print(
        f"    ratio scoring throughput / livez throughput: {ratio:.2f} "
        f"({rates['all scoring']:.0f} vs {livez_rate:.0f} req/s)"
    )
    if errors or missing or not acknowledged:
        print(f"FAILED: {errors} errors, {len(missing)} acknowledged submissions missing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

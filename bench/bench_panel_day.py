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
import sys
import tempfile
import uuid
from pathlib import Path

from _support import (
    add_locust_options,
    alternate_locust_rounds,
    client_for,
    fresh_postgres,
    print_ratio,
    report_locust_rounds,
    run_cli,
    running_service,
    service_env,
    token_for,
)
from bench_recruitment import ADMIN_SCOPES, CRITERIA, ORG, create_vacancy, expect
from sqlalchemy import text

from servicekit.db import make_engine
from servicekit.keys import ensure_keys

HERE = Path(__file__).resolve().parent
ASSESSOR_SCOPES = ["recruitment:read", "recruitment:score"]


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--panel-size", type=int, default=4, help="assessors on each vacancy's panel")
    parser.add_argument("--candidates", type=int, default=40, help="candidates on each vacancy")
    add_locust_options(parser)
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
        with running_service("recruitment_api", work, env, "server") as (base, _pid):
            (work / "config.json").write_text(json.dumps(prepare(base, private_pem, options)))
            rounds = alternate_locust_rounds(
                HERE / "locust_panel_day.py", work, base, options, {"PANEL_DAY_CONFIG": str(work / "config.json")}
            )
        acknowledged = [pair for recorded in rounds["work"] for pair in recorded["acknowledged"]]
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
    rates, errors = report_locust_rounds(rounds)
    print(f"    sheets submitted and acknowledged: {len(acknowledged)} ({rates.get('submit', 0.0):.1f}/s)")
    print(f"    acknowledged submissions missing from the database afterwards: {len(missing)}")
    print_ratio(rates, "scoring")
    if errors or missing or not acknowledged:
        print(f"FAILED: {errors} errors, {len(missing)} acknowledged submissions missing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

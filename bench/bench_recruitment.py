"""What do scoring, results and bulk import cost in recruitment-api, next to baselines in the same run?

Starts recruitment-api as a real process (uvicorn, `recruitment_api.main:create_app --factory`) on
a free loopback port, against a fresh SQLite database and a fresh key pair, after
`recruitment-api migrate`. Criteria are given inline, so no framework-api is needed. Three parts:

(a) score submission: 50 assessors on the panel of one stage (the panel API takes 20, so the
    others are added in the database), one thread and keep-alive connection each, each saving
    (PUT) and submitting (POST .../submit) its own sheet for candidate after candidate; against
    GET /livez from the same 50 threads, in alternating rounds. Ratio of throughput (requests/s)
    livez / scoring, and of median latency.
(b) results and reliability of a vacancy of 5,000 candidates x 3 assessors x 6 criteria (rows
    written straight into the database through the recruitment_api models): GET .../results and
    GET .../reliability against the bare SQL aggregate (AVG/MIN/MAX/COUNT per candidate and
    criterion over the same rows, run with sqlite3 on the same file). Ratios endpoint / SQL; the
    results page should take at most RESULTS_TARGET times the bare aggregate.
(c) peak memory: a second, fresh recruitment-api process imports 10,000 candidates in one JSON
    request; its peak resident set (VmHWM from /proc/<pid>/status, and VmRSS sampled every 10 ms)
    against the 300 MB budget.

    uv run python bench/bench_recruitment.py [--assessors 50] [--candidates 20] [--big 5000] [--import-rows 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import httpx
from _support import (
    HOST,
    Sample,
    client_for,
    run_cli,
    run_threads,
    running_service,
    service_env,
    timed,
    token_for,
)
from sqlalchemy import insert, update
from sqlmodel import Session, select

from recruitment_api.candidates.models import Candidate, CandidatePersonal
from recruitment_api.scoring.models import PanelMember, Score, ScoreSheet, SheetStatus
from recruitment_api.vacancies.models import Criterion, Stage, Vacancy
from servicekit.audit import utcnow
from servicekit.db import make_engine
from servicekit.keys import ensure_keys

ORG = "BENCH"
CRITERIA = [f"V{n}" for n in range(1, 7)]  # six criteria throughout
MEMORY_BUDGET_MB = 300
RESULTS_TARGET = 3  # results page / bare SQL aggregate (issue 6)
ADMIN_SCOPES = ["recruitment:read", "recruitment:admin"]
ASSESSOR_SCOPES = ["recruitment:read", "recruitment:score"]


# --- the server -------------------------------------------------------------------------------


def migrated_env(work: Path, database: Path, public_key: Path, private_key: Path) -> dict[str, str]:
    """recruitment-api's environment on a fresh database, after `recruitment-api migrate`."""
    env = service_env(
        "recruitment_api",
        database,
        public_key,
        {
            "SERVICE_SIGNING_KEY_PATH": str(private_key),
            # Never called (criteria are inline); a closed loopback port if it ever were.
            "FRAMEWORK_API_URL": f"http://{HOST}:9",
        },
        unset=["SERVICE_TOKEN_URL"],  # sign locally, whatever the shell has set
    )
    run_cli("recruitment_api", ["migrate"], env, work)
    return env


def expect(response: httpx.Response, status: int = 200) -> dict:
    if response.status_code != status:
        raise SystemExit(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:500]}"
        )
    return response.json() if response.content else {}


def create_vacancy(admin: httpx.Client, title: str, members: list[dict] | None = None) -> tuple[str, str]:
    """A vacancy with six inline criteria and one interview stage; in scoring if members are given."""
    criteria = [{"code": code, "statement": f"Value {code}"} for code in CRITERIA]
    vacancy = expect(admin.post("/vacancies", json={"title": title, "criteria": criteria}), 201)
    base = f"/vacancies/{vacancy['id']}"
    etag = admin.get(f"{base}/design").headers["etag"]
    stage = {
        "name": "Interview",
        "kind": "interview",
        "min_weighted_mean": 2.0,
        "min_per_value": 2,
        "criteria": [{"criterion": code} for code in CRITERIA],
    }
    design = expect(admin.put(f"{base}/design", json={"stages": [stage]}, headers={"If-Match": etag}))
    stage_id = design["stages"][0]["id"]
    if members is not None:
        expect(admin.put(f"{base}/stages/{stage_id}/panel", json={"members": members}))
        for status in ("open", "scoring"):
            expect(admin.post(f"{base}/status", json={"status": status}))
    return vacancy["id"], stage_id


def stage_row(session: Session, stage_uid: str) -> Stage:
    return session.exec(select(Stage).where(Stage.uid == uuid.UUID(stage_uid))).one()


# --- (a) concurrent score submission ----------------------------------------------------------


def bench_scoring(base: str, database: Path, private_pem: bytes, options: argparse.Namespace) -> dict[str, Sample]:
    admin_token = token_for(private_pem, subject="bench-admin", org=ORG, scopes=ADMIN_SCOPES)
    assessors = [f"assessor-{n:02d}" for n in range(options.assessors)]
    with client_for(base, admin_token) as admin:
        vacancy_id, stage_id = create_vacancy(admin, "Scoring bench", [{"assessor": assessors[0], "is_lead": True}])
        people = [{"name": f"Bench Candidate {n}"} for n in range(options.candidates)]
        imported = expect(admin.post(f"/vacancies/{vacancy_id}/candidates/import", json={"candidates": people}), 201)
        candidates = [c["id"] for c in imported["candidates"]]
    # The panel API takes at most 20 members (PanelWrite.members max_length=20): the other assessors
    # join the same stage's panel directly in the database.
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        stage = stage_row(session, stage_id)
        session.execute(
            insert(PanelMember),
            [{"stage_id": stage.id, "assessor": a, "name": a, "is_lead": False} for a in assessors[1:]],
        )
        session.commit()
    engine.dispose()

    clients = [
        client_for(base, token_for(private_pem, subject=a, org=ORG, scopes=ASSESSOR_SCOPES), timeout=60)
        for a in assessors
    ]
    body = {
        "scores": [
            {"criterion": code, "score": 1 + (n % 4), "notes": "Clear example, well structured."}
            for n, code in enumerate(CRITERIA)
        ]
    }
    samples = {"save + submit": Sample(), "livez": Sample()}
    lock = threading.Lock()
    try:
        # Warm-up: every connection opens, every assessor reads its sheet list once.
        run_threads(lambda n: clients[n].get(f"/vacancies/{vacancy_id}/stages/{stage_id}/my-sheets"), len(clients))
        run_threads(lambda n: [clients[n].get("/livez") for _ in range(3)], len(clients))
        per_round = max(1, options.candidates // options.rounds)
        for start in range(0, len(candidates), per_round):
            chunk = candidates[start : start + per_round]

            def score(n: int, chunk: list[str] = chunk) -> None:
                for candidate in chunk:
                    url = f"/vacancies/{vacancy_id}/stages/{stage_id}/candidates/{candidate}/sheet"
                    timed(samples["save + submit"], lambda url=url: clients[n].put(url, json=body), lock=lock)
                    timed(samples["save + submit"], lambda url=url: clients[n].post(url + "/submit"), lock=lock)

            def livez(n: int, count: int = 2 * len(chunk)) -> None:
                for _ in range(count):
                    timed(samples["livez"], lambda: clients[n].get("/livez"), lock=lock)

            order = [("save + submit", score), ("livez", livez)]
            for name, work in order if (start // per_round) % 2 == 0 else order[::-1]:
                samples[name].wall += run_threads(work, len(clients))
    finally:
        for client in clients:
            client.close()
    return samples


# --- (b) results and reliability at scale -----------------------------------------------------


def load_big_vacancy(database: Path, stage_uid: str, candidates: int, assessors: list[str]) -> float:
    """Candidates, submitted sheets and scores straight into the database; returns seconds taken."""
    started = time.perf_counter()
    rng = random.Random(75)
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        stage = stage_row(session, stage_uid)
        vacancy = session.get(Vacancy, stage.vacancy_id)
        criteria = list(session.exec(select(Criterion).where(Criterion.vacancy_id == vacancy.id)))
        now = utcnow()
        rows = [
            {
                "uid": uuid.uuid4(),
                "vacancy_id": vacancy.id,
                "code": f"C-B{n:05d}",
                "external_ref": None,
                "withdrawn": False,
                "created_at": now,
            }
            for n in range(candidates)
        ]
        session.execute(insert(Candidate), rows)
        ids = [
            c
            for (c,) in session.execute(
                select(Candidate.id).where(Candidate.vacancy_id == vacancy.id).order_by(Candidate.id)
            )
        ]
        session.execute(
            insert(CandidatePersonal),
            [{"candidate_id": c, "name": f"Person {c}", "email": f"p{c}@example.org"} for c in ids],
        )
        session.execute(
            insert(ScoreSheet),
            [
                {
                    "uid": uuid.uuid4(),
                    "stage_id": stage.id,
                    "candidate_id": c,
                    "assessor": a,
                    "status": SheetStatus.submitted.value,
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                }
                for c in ids
                for a in assessors
            ],
        )
        sheets = [s for (s,) in session.execute(select(ScoreSheet.id).where(ScoreSheet.stage_id == stage.id))]
        scores = []
        for sheet in sheets:
            leaning = rng.choice((0, 0, 1, -1))  # candidates differ, assessors mostly agree
            for criterion in criteria:
                if rng.random() < 0.02:
                    scores.append(
                        {
                            "sheet_id": sheet,
                            "criterion_id": criterion.id,
                            "score": None,
                            "not_evidenced": True,
                            "notes": None,
                        }
                    )
                else:
                    value = min(4, max(1, rng.choice((2, 3, 3, 4)) + leaning))
                    scores.append(
                        {
                            "sheet_id": sheet,
                            "criterion_id": criterion.id,
                            "score": value,
                            "not_evidenced": False,
                            "notes": None,
                        }
                    )
        session.execute(insert(Score), scores)
        session.execute(update(Vacancy).where(Vacancy.id == vacancy.id).values(design_locked_at=now))
        session.commit()
    engine.dispose()
    return time.perf_counter() - started


BARE_AGGREGATE = """
SELECT sheet.candidate_id, score.criterion_id,
       AVG(score.score), MIN(score.score), MAX(score.score), COUNT(score.score),
       SUM(score.not_evidenced)
FROM score JOIN score_sheet AS sheet ON sheet.id = score.sheet_id
JOIN stage ON stage.id = sheet.stage_id
WHERE stage.uid = ? AND sheet.status = 'submitted'
GROUP BY sheet.candidate_id, score.criterion_id
"""


def bench_results(base: str, database: Path, private_pem: bytes, options: argparse.Namespace):
    admin_token = token_for(private_pem, subject="bench-admin", org=ORG, scopes=ADMIN_SCOPES)
    assessors = ["panel-a", "panel-b", "panel-c"]
    with client_for(base, admin_token, timeout=300) as admin:
        members = [{"assessor": a, "is_lead": n == 0} for n, a in enumerate(assessors)]
        vacancy_id, stage_id = create_vacancy(admin, "Results bench", members)
        loaded = load_big_vacancy(database, stage_id, options.big, assessors)
        stage_uid = uuid.UUID(stage_id).hex  # how the Uuid column stores it in SQLite
        with closing(sqlite3.connect(database)) as connection:
            groups = len(connection.execute(BARE_AGGREGATE, (stage_uid,)).fetchall())
        if groups != options.big * len(CRITERIA):
            raise SystemExit(f"the bare aggregate found {groups} groups, not {options.big * len(CRITERIA)}")

        paths = {
            "results": f"/vacancies/{vacancy_id}/stages/{stage_id}/results",
            "reliability": f"/vacancies/{vacancy_id}/stages/{stage_id}/reliability",
        }
        samples = {name: Sample() for name in (*paths, "bare SQL")}
        sizes: dict[str, int] = {}

        def sql() -> None:
            started = time.perf_counter()
            with closing(sqlite3.connect(database)) as connection:
                connection.execute(BARE_AGGREGATE, (stage_uid,)).fetchall()
            elapsed = time.perf_counter() - started
            samples["bare SQL"].latencies.append(elapsed)
            samples["bare SQL"].wall += elapsed

        for name, path in paths.items():  # warm-up, and a check of what comes back
            body = expect(admin.get(path))
            sizes[name] = len(json.dumps(body))
            if name == "results" and len(body["candidates"]) != options.big:
                raise SystemExit(f"results listed {len(body['candidates'])} candidates, not {options.big}")
        sql()
        samples["bare SQL"] = Sample()
        for _ in range(options.repeats):
            for name, path in paths.items():
                started = time.perf_counter()
                timed(samples[name], lambda path=path: admin.get(path))
                samples[name].wall += time.perf_counter() - started
            sql()
    return samples, sizes, loaded


# --- (c) peak memory during a 10,000-candidate import -----------------------------------------


def proc_status_kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field_name} in /proc/{pid}/status (is this Linux?)")


def bench_import_memory(base: str, pid: int, private_pem: bytes, options: argparse.Namespace) -> dict[str, float]:
    admin_token = token_for(private_pem, subject="bench-admin", org=ORG, scopes=ADMIN_SCOPES)
    with client_for(base, admin_token, timeout=600) as admin:
        vacancy_id, _ = create_vacancy(admin, "Import bench")
        answer = (
            "On my ward we set up a daily huddle with the pharmacy team so that discharge medicines were "
            "ready by eleven; I kept a shared log, and we halved the waits within a month. "
        ) * 2
        people = [
            {
                "name": f"Imported Candidate {n}",
                "email": f"candidate{n}@example.org",
                "phone": f"07700 9{n:05d}",
                "external_ref": f"ATS-{n:06d}",
                "evidence": [{"title": "Working together", "text": answer}],
            }
            for n in range(options.import_rows)
        ]
        payload = json.dumps({"candidates": people}).encode()
        admin.get("/livez")
        idle_kb = proc_status_kb(pid, "VmRSS")
        before_hwm_kb = proc_status_kb(pid, "VmHWM")
        sampled = [idle_kb]
        done = threading.Event()

        def sample_rss() -> None:
            while not done.is_set():
                try:
                    sampled.append(proc_status_kb(pid, "VmRSS"))
                except (OSError, SystemExit):
                    return
                time.sleep(0.01)

        sampler = threading.Thread(target=sample_rss)
        sampler.start()
        started = time.perf_counter()
        try:
            response = admin.post(
                f"/vacancies/{vacancy_id}/candidates/import",
                content=payload,
                headers={"Content-Type": "application/json"},
            )
        finally:
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
        result = expect(response, 201)
        if result.get("imported") != options.import_rows:
            raise SystemExit(f"imported {result.get('imported')} of {options.import_rows}")
        return {
            "rows": options.import_rows,
            "body_mb": len(payload) / 1e6,
            "seconds": elapsed,
            "idle_mb": idle_kb / 1024,
            "hwm_before_mb": before_hwm_kb / 1024,
            "peak_mb": proc_status_kb(pid, "VmHWM") / 1024,
            "sampled_peak_mb": max(sampled) / 1024,
            "after_mb": proc_status_kb(pid, "VmRSS") / 1024,
        }


# --- report -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assessors", type=int, default=50, help="(a) assessors scoring at once")
    parser.add_argument("--candidates", type=int, default=20, help="(a) candidates each assessor scores")
    parser.add_argument("--rounds", type=int, default=5, help="(a) alternating rounds of scoring and livez")
    parser.add_argument("--big", type=int, default=5000, help="(b) candidates in the results vacancy")
    parser.add_argument("--repeats", type=int, default=3, help="(b) timed requests per endpoint")
    parser.add_argument("--import-rows", type=int, default=10000, help="(c) candidates in the one import")
    options = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("this benchmark reads /proc/<pid>/status for memory: run it on Linux")

    with tempfile.TemporaryDirectory(prefix="bench-recruitment-") as folder:
        work = Path(folder)
        private_key, public_key = ensure_keys(work / "keys")
        private_pem = private_key.read_bytes()
        database = work / "recruitment.db"
        env = migrated_env(work, database, public_key, private_key)
        with running_service("recruitment_api", work, env, "server") as (base, _pid):
            scoring = bench_scoring(base, database, private_pem, options)
            results, sizes, loaded = bench_results(base, database, private_pem, options)
        # A fresh process and database, so the peak belongs to the import alone.
        fresh_db = work / "import.db"
        fresh_env = migrated_env(work, fresh_db, public_key, private_key)
        with running_service("recruitment_api", work, fresh_env, "import-server") as (base, pid):
            memory = bench_import_memory(base, pid, private_pem, options)

    nan = float("nan")
    failures = 0
    print("recruitment-api benchmark: one uvicorn worker, SQLite, loopback; ratios measured in this run")
    print()
    sheets = len(scoring["save + submit"].latencies) // 2
    print(
        f"(a) score submission: {options.assessors} assessors at once on one stage's panel, {sheets} sheets "
        f"(PUT draft + POST submit, {len(CRITERIA)} criteria each) against GET /livez from the same threads"
    )
    print(f"    {'requests':<14} {'count':>6} {'req/s':>9} {'median ms':>10} {'p95 ms':>9} {'failed':>7}")
    for name, sample in scoring.items():
        failures += len(sample.failures)
        print(
            f"    {name:<14} {len(sample.latencies):>6} {sample.rate:>9.1f} {sample.median_ms:>10.1f} "
            f"{sample.p95_ms:>9.1f} {len(sample.failures):>7}"
        )
    score_sample, livez_sample = scoring["save + submit"], scoring["livez"]
    print(f"    sheets submitted per second: {score_sample.rate / 2:.1f}")
    throughput = livez_sample.rate / score_sample.rate if score_sample.rate else nan
    print(
        f"    ratio throughput livez / scoring x{throughput:.2f}, "
        f"median latency scoring / livez x{score_sample.median_ms / livez_sample.median_ms:.2f}"
    )
    print()
    print(
        f"(b) {options.big:,} candidates x 3 assessors x {len(CRITERIA)} criteria "
        f"({options.big * 3 * len(CRITERIA):,} scores, written in {loaded:.1f} s), {options.repeats} timed runs each"
    )
    print(f"    {'query':<12} {'median ms':>10} {'min ms':>9} {'JSON bytes':>11} {'x bare SQL':>11}")
    sql_ms = results["bare SQL"].median_ms
    for name, sample in results.items():
        failures += len(sample.failures)
        size = f"{sizes[name]:,}" if name in sizes else "-"
        ratio = sample.median_ms / sql_ms if sql_ms else nan
        print(
            f"    {name:<12} {sample.median_ms:>10.1f} {min(sample.latencies, default=nan) * 1000:>9.1f} "
            f"{size:>11} {ratio:>11.1f}"
        )
    results_ratio = results["results"].median_ms / sql_ms if sql_ms else nan
    print(
        f"    results page x{results_ratio:.1f} the bare SQL aggregate, target x{RESULTS_TARGET}: "
        f"{'within' if results_ratio <= RESULTS_TARGET else 'NOT within'}"
    )
    print()
    print(
        f"(c) one JSON import of {memory['rows']:,} candidates ({memory['body_mb']:.1f} MB body) "
        f"into a fresh process, {memory['seconds']:.1f} s"
    )
    print(
        f"    RSS idle {memory['idle_mb']:.0f} MB; peak (VmHWM) {memory['peak_mb']:.0f} MB "
        f"(sampled VmRSS peak {memory['sampled_peak_mb']:.0f} MB); after {memory['after_mb']:.0f} MB"
    )
    within = memory["peak_mb"] <= MEMORY_BUDGET_MB
    print(
        f"    peak {memory['peak_mb']:.0f} MB of the {MEMORY_BUDGET_MB} MB budget "
        f"({memory['peak_mb'] / MEMORY_BUDGET_MB:.0%}): {'within budget' if within else 'OVER BUDGET'}; "
        f"the import itself added {memory['peak_mb'] - memory['hwm_before_mb']:.0f} MB"
    )
    if failures:
        print(f"FAILED: {failures} requests did not answer as expected; first ones:")
        for sample in (*scoring.values(), *results.values()):
            for problem in sample.failures[:3]:
                print(f"  {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

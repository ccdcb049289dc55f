"""monitoring-api culture surveys benchmark: the bulk ingest of responses and the results of a trust, each
against a baseline measured in the same run.

(a) Ingest: 1,000,000 answers (40,000 respondents x 25 questions of the seeded culture instrument, a trust
    of 20 directorates x 20 teams, staff group and band on every response) as one CSV
    `POST /survey-waves/{id}/responses`, against PostgreSQL `COPY` of the same rows (responses and
    answers, ids resolved) straight into `survey_response` and `survey_answer` of another fresh database
    built by the same migrations; with the service process's peak resident set (VmHWM, sampled VmRSS).
(b) Results: `POST /survey-waves/{id}/close` is timed (it computes the wave's figures and disclosure
    decisions and stores them); then, on another service process on the same database (a restart:
    nothing in its memory), `GET /survey-waves/{id}/results` for the trust (its cell and its
    directorates', every figure under disclosure control), first (cold: the stored publication is read)
    and then warm (kept in the process), against the bare SQL `GROUP BY` of the wave's answers per unit,
    question and option (psycopg, same database), in alternating rounds.

Needs PostgreSQL (`--postgres`, default postgresql://postgres@127.0.0.1:5432/postgres). Linux only
(memory from /proc).

    uv run python bench/bench_surveys.py [--answers 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from _support import Sample, client_for, run_cli, running_service, service_env, token_for
from bench_monitoring import expect, fresh_database, proc_status_kb
from sqlalchemy.engine import make_url

from servicekit.keys import ensure_keys

PACKAGE = "monitoring_api"
ORG = "SHSCT"
ADMIN = ["monitoring:read", "monitoring:admin"]
TOOL = ["survey:ingest"]
DIRECTORATES, TEAMS = 20, 20
QUESTIONS = 25
STAFF_GROUPS = ("admin_clerical", "nursing_midwifery", "medical_dental", "allied_health", "")
BANDS = ("band_1_4", "band_5_7", "band_8_9", "")


def prepare(database_url: str, work: Path, public_key: Path, private_pem: bytes) -> tuple[dict[str, str], str, list]:
    """Migrations and seed, the trust's structure through the API, a wave opened over it."""
    env = service_env(PACKAGE, work / "unused.db", public_key, {"DATABASE_URL": database_url})
    run_cli(PACKAGE, ["migrate"], env, work)
    run_cli(PACKAGE, ["seed"], env, work)
    with (
        running_service(PACKAGE, work, env, "prepare") as (base, _),
        client_for(base, token_for(private_pem, "bench-admin", ORG, ADMIN)) as client,
    ):
        structure = "code,name,kind,parent\n" + "".join(
            f"D{d:02d},Directorate {d},directorate,\n"
            + "".join(f"D{d:02d}T{t:02d},Team {d}.{t},team,D{d:02d}\n" for t in range(TEAMS))
            for d in range(DIRECTORATES)
        )
        expect(client.post("/units/import", content=structure, headers={"Content-Type": "text/csv"}), 201)
        instrument = expect(client.get("/survey-instruments"))["items"][0]["id"]
        questions = expect(client.get(f"/survey-instruments/{instrument}"))["questions"][:QUESTIONS]
        body = {"instrument": instrument, "title": "Bench wave", "opens": "2026-10-01", "closes": "2026-10-31"}
        wave = expect(client.post("/survey-waves", json=body), 201)["id"]
    return env, wave, questions


def write_csv(path: Path, respondents: int, questions: list[dict]) -> None:
    rng = random.Random(7)
    teams = [f"D{d:02d}T{t:02d}" for d in range(DIRECTORATES) for t in range(TEAMS)]
    with path.open("w") as out:
        out.write("unit,staff_group,band," + ",".join(q["code"] for q in questions) + "\n")
        for r in range(respondents):
            team = teams[r % len(teams)] if r % 97 else teams[0]
            level = 1 + (r * 7919) % 5
            answers = ",".join(str(min(5, max(1, level + rng.choice((-1, 0, 0, 1))))) for _ in questions)
            out.write(f"{team},{rng.choice(STAFF_GROUPS)},{rng.choice(BANDS)},{answers}\n")


def resolve(source: Path, connection: psycopg.Connection, wave_uid: str, responses: Path, answers: Path) -> None:
    """The CSV's rows with their ids resolved, as COPY text for survey_response and survey_answer."""
    (wave_id,) = connection.execute("SELECT id FROM survey_wave WHERE uid = %s", (wave_uid,)).fetchone()
    units = dict(connection.execute("SELECT code, id FROM survey_wave_unit WHERE wave_id = %s", (wave_id,)).fetchall())
    rows = connection.execute(
        "SELECT q.code, q.id, q.reverse FROM survey_question q JOIN survey_wave w ON w.instrument_id = q.instrument_id "
        "WHERE w.id = %s",
        (wave_id,),
    ).fetchall()
    questions = {code: (qid, reverse) for code, qid, reverse in rows}
    scores = (0.0, 2.5, 5.0, 7.5, 10.0)
    with source.open() as given, responses.open("w") as r_out, answers.open("w") as a_out:
        header = next(given).rstrip("\n").split(",")
        ids = [questions[c] for c in header[3:]]
        for n, line in enumerate(given, start=1):
            cells = line.rstrip("\n").split(",")
            unit = units[cells[0]]
            group = "\t".join(c or "\\N" for c in cells[1:3])
            r_out.write(f"{n}\t{wave_id}\t{unit}\t{group}\n")
            for (qid, reverse), cell in zip(ids, cells[3:], strict=True):
                option = int(cell) - 1
                points = scores[4 - option] if reverse else scores[option]
                a_out.write(f"{n}\t{qid}\t{wave_id}\t{unit}\t{option}\t{points}\n")


def bench(options, work: Path, public_key: Path, private_pem: bytes) -> dict:
    respondents = options.answers // QUESTIONS
    total = respondents * QUESTIONS
    source = work / "responses.csv"
    with fresh_database(options.postgres, "scopy") as copy_url, fresh_database(options.postgres, "singest") as url:
        _, copy_wave, questions = prepare(copy_url, work, public_key, private_pem)
        write_csv(source, respondents, questions)
        size = source.stat().st_size
        responses_tsv, answers_tsv = work / "responses.tsv", work / "answers.tsv"
        with psycopg.connect(copy_url) as connection:
            resolve(source, connection, copy_wave, responses_tsv, answers_tsv)
        started = time.perf_counter()
        with psycopg.connect(copy_url) as connection, connection.cursor() as cursor:
            for table, columns, data in (
                ("survey_response", "id, wave_id, unit_id, staff_group, band", responses_tsv),
                ("survey_answer", "response_id, question_id, wave_id, unit_id, option, points", answers_tsv),
            ):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy, data.open("rb") as rows:
                    while block := rows.read(1 << 20):
                        copy.write(block)
        copy_seconds = time.perf_counter() - started

        env, wave, _ = prepare(url, work, public_key, private_pem)
        with (
            running_service(PACKAGE, work, env, "ingest") as (base, pid),
            client_for(base, token_for(private_pem, "bench-tool", ORG, TOOL), timeout=900) as tool,
            client_for(base, token_for(private_pem, "bench-admin", ORG, ADMIN), timeout=900) as admin,
            psycopg.connect(url) as sql,
        ):
            tool.get("/livez")
            idle_kb = proc_status_kb(pid, "VmRSS")
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
                with source.open("rb") as body:
                    response = tool.post(
                        f"/survey-waves/{wave}/responses", content=body, headers={"Content-Type": "text/csv"}
                    )
            finally:
                ingest_seconds = time.perf_counter() - started
                done.set()
                sampler.join()
            result = expect(response, 201)
            if result["answers"] != total:
                raise SystemExit(f"ingest recorded {result['answers']} of {total} answers")
            peak_kb = proc_status_kb(pid, "VmHWM")

            # (b) results against the bare GROUP BY
            started = time.perf_counter()
            expect(admin.post(f"/survey-waves/{wave}/close"))
            close_seconds = time.perf_counter() - started
            (wave_id,) = sql.execute("SELECT id FROM survey_wave WHERE uid = %s", (wave,)).fetchone()
        # a restart: another service process on the same database, nothing in its memory
        with (
            running_service(PACKAGE, work, env, "results") as (base, _),
            client_for(base, token_for(private_pem, "bench-admin", ORG, ADMIN), timeout=900) as admin,
            psycopg.connect(url) as sql,
        ):
            query = (
                "SELECT unit_id, question_id, option, count(*) FROM survey_answer WHERE wave_id = %s GROUP BY 1, 2, 3"
            )
            admin.get("/livez")
            started = time.perf_counter()
            first = expect(admin.get(f"/survey-waves/{wave}/results"))
            cold_seconds = time.perf_counter() - started
            if len(first["cells"]) != 1 + DIRECTORATES:
                raise SystemExit(f"results answered {len(first['cells'])} cells")
            samples = {"results, warm": Sample(), "bare SQL GROUP BY": Sample()}
            groups = 0
            for _ in range(options.rounds):
                started = time.perf_counter()
                expect(admin.get(f"/survey-waves/{wave}/results"))
                samples["results, warm"].latencies.append(time.perf_counter() - started)
                started = time.perf_counter()
                groups = len(sql.execute(query, (wave_id,)).fetchall())
                samples["bare SQL GROUP BY"].latencies.append(time.perf_counter() - started)
            suppressed = sum(1 for c in first["cells"] if isinstance(c["responses"], dict))
            (stored_bytes,) = sql.execute(
                "SELECT sum(octet_length(content)) FROM survey_wave_publication WHERE wave_id = %s", (wave_id,)
            ).fetchone()
    return {
        "answers": total,
        "respondents": respondents,
        "csv_mb": size / 1e6,
        "copy_seconds": copy_seconds,
        "ingest_seconds": ingest_seconds,
        "idle_mb": idle_kb / 1024,
        "peak_mb": peak_kb / 1024,
        "sampled_peak_mb": max(sampled) / 1024,
        "close_seconds": close_seconds,
        "cold_seconds": cold_seconds,
        "stored_kb": (stored_bytes or 0) / 1024,
        "samples": samples,
        "groups": groups,
        "suppressed": suppressed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--answers", type=int, default=1_000_000, help="answers in the one ingest")
    parser.add_argument("--rounds", type=int, default=5, help="(b) alternating rounds of the two reads")
    options = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("this benchmark reads /proc/<pid>/status for memory: run it on Linux")
    try:
        psycopg.connect(make_url(options.postgres).set(drivername="postgresql").render_as_string(False)).close()
    except psycopg.Error as exc:
        raise SystemExit(f"PostgreSQL is needed at {options.postgres}: {exc}") from exc
    print("monitoring-api surveys benchmark: one uvicorn worker, PostgreSQL, loopback; ratios measured in this run\n")
    with tempfile.TemporaryDirectory(prefix="bench-surveys-") as folder:
        work = Path(folder)
        private_path, public_path = ensure_keys(work / "keys")
        b = bench(options, work, public_path, private_path.read_bytes())
    copy_rate = b["answers"] / b["copy_seconds"]
    ingest_rate = b["answers"] / b["ingest_seconds"]
    print(
        f"(a) ingest of {b['answers']:,} answers ({b['respondents']:,} responses, {b['csv_mb']:.1f} MB of CSV) "
        "into a fresh database"
    )
    print(f"    PostgreSQL COPY of the same rows        {b['copy_seconds']:7.1f} s  {copy_rate:10,.0f} answers/s")
    print(f"    POST /survey-waves/{{id}}/responses (CSV) {b['ingest_seconds']:7.1f} s  {ingest_rate:10,.0f} answers/s")
    ratio = ingest_rate / copy_rate
    print(f"    ingest rate / COPY rate x{ratio:.2f} ({'meets' if ratio >= 0.3 else 'BELOW'} the 0.3 target)")
    print(
        f"    service RSS idle {b['idle_mb']:.0f} MB; peak (VmHWM) {b['peak_mb']:.0f} MB "
        f"(sampled VmRSS peak {b['sampled_peak_mb']:.0f} MB)"
    )
    bare = b["samples"]["bare SQL GROUP BY"].median_ms
    warm = b["samples"]["results, warm"].median_ms
    print(
        f"\n(b) results of the trust ({1 + DIRECTORATES} cells shown or withheld, {b['suppressed']} withheld; "
        f"the bare GROUP BY gives {b['groups']:,} rows), {options.rounds} alternating rounds"
    )
    print(f"    {'request':34} {'median ms':>10} {'x bare SQL':>11}")
    close = b["close_seconds"] * 1000
    cold = b["cold_seconds"] * 1000
    print(f"    {'close (computes and stores)':34} {close:10.1f} {close / bare:11.1f}")
    print(f"    {'results, first read after restart':34} {cold:10.1f} {cold / bare:11.2f}")
    print(f"    {'results, warm (kept)':34} {warm:10.1f} {warm / bare:11.2f}")
    print(f"    {'bare SQL GROUP BY':34} {bare:10.1f} {1:11.2f}")
    print(f"    stored figures and decisions: {b['stored_kb']:,.0f} kB")
    for name, value in (("first read", cold), ("warm results", warm)):
        verdict = "meets" if value / bare <= 1.5 else "ABOVE"
        print(f"    {name} / GROUP BY x{value / bare:.2f} ({verdict} the 1.5 target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""monitoring-api benchmark: the summary table and the bulk ingest, each against a baseline measured
in the same run.

(a) Summary table: 1,000 series (10 indicators x 100 teams) of 60 monthly points, all in one page of
    `GET /summary`, with the SPC cache warm (the series did not change) and with a second service
    process whose cache is off (every series computed), against the bare SQL read of the same 60,000
    values (psycopg, same database), in alternating rounds.
(b) Bulk ingest: 1,000,000 values as one CSV `POST /values/import` into a fresh database, against
    PostgreSQL `COPY` of the same rows straight into `indicator_value` of another fresh database built by
    the same migrations; with the service process's peak resident set (VmHWM and sampled VmRSS).

Needs PostgreSQL (`--postgres`, default postgresql://postgres@127.0.0.1:5432/postgres): each part creates
its databases there and drops them afterwards. Linux only (memory from /proc).

    uv run python bench/bench_monitoring.py [--series-teams 100] [--values 1000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from _support import Sample, client_for, run_cli, running_service, service_env, token_for
from sqlalchemy.engine import make_url

from servicekit.keys import ensure_keys

PACKAGE = "monitoring_api"
ORG = "BHSCT"
SCOPES = ["monitoring:read", "monitoring:write", "monitoring:admin"]
INDICATORS = 10
MONTHS = 60


@contextmanager
def fresh_database(server_url: str, label: str):
    server = make_url(server_url)
    name = f"bench_monitoring_{label}_{uuid.uuid4().hex[:8]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def expect(response, status=200):
    if response.status_code != status:
        raise SystemExit(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:500]}"
        )
    return response.json() if response.content else None


def proc_status_kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field_name} in /proc/{pid}/status (is this Linux?)")


def months(n: int, first_year: int) -> list[str]:
    return [f"{first_year + k // 12:04d}-{k % 12 + 1:02d}-01" for k in range(n)]


def prepare(database_url: str, work: Path, public_key: Path, private_pem: bytes, teams: int):
    """Migrations and seed, then a directorate with `teams` teams and the indicators, through the API."""
    env = service_env(PACKAGE, work / "unused.db", public_key, {"DATABASE_URL": database_url})
    run_cli(PACKAGE, ["migrate"], env, work)
    run_cli(PACKAGE, ["seed"], env, work)
    with running_service(PACKAGE, work, env, "prepare") as (base, _):
        token = token_for(private_pem, "bench-admin", ORG, SCOPES)
        with client_for(base, token) as client:
            structure = "code,name,kind,parent\nBENCH,Bench directorate,directorate,\n" + "".join(
                f"T{n:04d},Team {n},team,BENCH\n" for n in range(teams)
            )
            expect(client.post("/units/import", content=structure, headers={"Content-Type": "text/csv"}), 201)
            for n in range(INDICATORS):
                body = {
                    "code": f"BENCH-{n:02d}",
                    "title": f"Bench indicator {n}",
                    "unit_of_measure": "%",
                    "numerator": "n",
                    "denominator": "d",
                    "factor": "percent",
                    "direction": "increase" if n % 2 else "decrease",
                    "frequency": "monthly",
                }
                expect(client.post("/indicators", json=body), 201)
            directorate = next(
                u["id"] for u in expect(client.get("/units", params={"limit": 5}))["items"] if u["code"] == "BENCH"
            )
    return env, directorate


def csv_rows(teams: int, periods: list[str]):
    for i in range(INDICATORS):
        for t in range(teams):
            for k, period in enumerate(periods):
                numerator = 40 + (i * 7 + t * 3 + k * 5) % 21 + (15 if k > len(periods) * 2 // 3 and t % 4 == 0 else 0)
                yield f"BENCH-{i:02d},T{t:04d},{period},{numerator},100\n"


# --- (a) the summary table --------------------------------------------------------------------


def bench_summary(options, work: Path, public_key: Path, private_pem: bytes) -> dict:
    with fresh_database(options.postgres, "summary") as url:
        env, directorate = prepare(url, work, public_key, private_pem, options.series_teams)
        series = INDICATORS * options.series_teams
        body = "indicator,unit,period,numerator,denominator\n" + "".join(
            csv_rows(options.series_teams, months(MONTHS, 2020))
        )
        token = token_for(private_pem, "bench-reader", ORG, SCOPES)
        cold_env = {**env, "MONITORING_API_SUMMARY_CACHE_SERIES": "0"}
        with (
            running_service(PACKAGE, work, env, "summary-cached") as (cached_base, _),
            running_service(PACKAGE, work, cold_env, "summary-uncached") as (cold_base, _),
            client_for(cached_base, token, timeout=300) as cached,
            client_for(cold_base, token, timeout=300) as cold,
            psycopg.connect(url) as sql,
        ):
            loaded = expect(cached.post("/values/import", content=body, headers={"Content-Type": "text/csv"}), 201)
            params = {"under": directorate, "level": 3, "limit": 1000}
            first = expect(cached.get("/summary", params=params))
            if len(first["items"]) != series or first["items"][0]["points"] != MONTHS:
                raise SystemExit(f"summary answered {len(first['items'])} series, expected {series}")
            query = (
                "SELECT v.indicator_id, u.path, v.period, v.numerator, v.denominator FROM indicator_value v "
                "JOIN org_unit u ON u.id = v.unit_id WHERE v.is_current"
            )
            samples = {"summary, cache warm": Sample(), "summary, cache off": Sample(), "bare SQL read": Sample()}
            rows_read = 0
            for _ in range(options.rounds):
                for name, call in (
                    ("summary, cache warm", lambda: cached.get("/summary", params=params)),
                    ("summary, cache off", lambda: cold.get("/summary", params=params)),
                ):
                    started = time.perf_counter()
                    expect(call())
                    samples[name].latencies.append(time.perf_counter() - started)
                started = time.perf_counter()
                rows_read = len(sql.execute(query).fetchall())
                samples["bare SQL read"].latencies.append(time.perf_counter() - started)
            if rows_read != series * MONTHS:
                raise SystemExit(f"the bare read found {rows_read} values, expected {series * MONTHS}")
    return {"series": series, "values": rows_read, "loaded": loaded, "samples": samples}


# --- (b) bulk ingest against COPY -------------------------------------------------------------


def bench_ingest(options, work: Path, public_key: Path, private_pem: bytes) -> dict:
    teams = 100
    per_series = max(1, options.values // (INDICATORS * teams))
    periods = months(per_series, 1900)
    total = INDICATORS * teams * per_series
    source = work / "values.csv"
    with source.open("w") as out:
        out.write("indicator,unit,period,numerator,denominator\n")
        out.writelines(csv_rows(teams, periods))
    size = source.stat().st_size
    with fresh_database(options.postgres, "copy") as copy_url, fresh_database(options.postgres, "ingest") as url:
        # The baseline: the same rows, with their ids resolved, COPYed into the same table and indexes.
        copy_env, _ = prepare(copy_url, work, public_key, private_pem, teams)
        with psycopg.connect(copy_url) as connection:
            units = dict(connection.execute("SELECT code, id FROM org_unit WHERE org = %s", (ORG,)).fetchall())
            indicators = dict(connection.execute("SELECT code, id FROM indicator").fetchall())
        resolved = work / "resolved.tsv"
        stamp = "2026-12-01 00:00:00+00"
        with source.open() as given, resolved.open("w") as out:
            next(given)
            for line in given:
                code, unit, period, numerator, denominator = line.rstrip("\n").split(",")
                out.write(
                    f"{indicators[code]}\t{units[unit]}\t{period}\t{numerator}\t{denominator}\t1\tt\t{stamp}\tbench\n"
                )
        started = time.perf_counter()
        with psycopg.connect(copy_url) as connection, connection.cursor() as cursor:
            columns = (
                "indicator_id, unit_id, period, numerator, denominator, revision, is_current, recorded_at, recorded_by"
            )
            with cursor.copy(f"COPY indicator_value ({columns}) FROM STDIN") as copy, resolved.open("rb") as data:
                while block := data.read(1 << 20):
                    copy.write(block)
        copy_seconds = time.perf_counter() - started

        env, _ = prepare(url, work, public_key, private_pem, teams)
        token = token_for(private_pem, "bench-writer", ORG, SCOPES)
        with (
            running_service(PACKAGE, work, env, "ingest") as (base, pid),
            client_for(base, token, timeout=900) as client,
        ):
            client.get("/livez")
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
                    response = client.post("/values/import", content=body, headers={"Content-Type": "text/csv"})
            finally:
                ingest_seconds = time.perf_counter() - started
                done.set()
                sampler.join()
            result = expect(response, 201)
            if result["created"] != total:
                raise SystemExit(f"ingest created {result['created']} of {total}")
            peak_kb = proc_status_kb(pid, "VmHWM")
        with psycopg.connect(url) as connection:
            stored = connection.execute("SELECT count(*) FROM indicator_value WHERE is_current").fetchone()[0]
        if stored != total:
            raise SystemExit(f"{stored} values stored, expected {total}")
        del copy_env
    return {
        "values": total,
        "csv_mb": size / 1e6,
        "copy_seconds": copy_seconds,
        "ingest_seconds": ingest_seconds,
        "idle_mb": idle_kb / 1024,
        "peak_mb": peak_kb / 1024,
        "sampled_peak_mb": max(sampled) / 1024,
    }


# --- report -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--series-teams", type=int, default=100, help="(a) teams: 10 indicators x this many series")
    parser.add_argument("--rounds", type=int, default=5, help="(a) alternating rounds of the three reads")
    parser.add_argument("--values", type=int, default=1_000_000, help="(b) values in the one ingest")
    parser.add_argument("--skip", choices=["summary", "ingest"], action="append", default=[])
    options = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("this benchmark reads /proc/<pid>/status for memory: run it on Linux")
    try:
        psycopg.connect(make_url(options.postgres).set(drivername="postgresql").render_as_string(False)).close()
    except psycopg.Error as exc:
        raise SystemExit(f"PostgreSQL is needed at {options.postgres}: {exc}") from exc
    print("monitoring-api benchmark: one uvicorn worker, PostgreSQL, loopback; ratios measured in this run\n")
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as folder:
        work = Path(folder)
        private_path, public_path = ensure_keys(work / "keys")
        private_pem = private_path.read_bytes()
        if "summary" not in options.skip:
            s = bench_summary(options, work, public_path, private_pem)
            print(
                f"(a) summary of {s['series']:,} series x {MONTHS} points ({s['values']:,} values, loaded through "
                f"the ingest), {options.rounds} alternating rounds"
            )
            print(f"    {'read':22} {'median ms':>10} {'min ms':>8} {'x bare SQL':>11}")
            bare = s["samples"]["bare SQL read"].median_ms
            for name, sample in s["samples"].items():
                print(
                    f"    {name:22} {sample.median_ms:10.1f} {min(sample.latencies) * 1000:8.1f} "
                    f"{sample.median_ms / bare:11.1f}"
                )
            print()
        if "ingest" not in options.skip:
            b = bench_ingest(options, work, public_path, private_pem)
            copy_rate = b["values"] / b["copy_seconds"]
            ingest_rate = b["values"] / b["ingest_seconds"]
            print(f"(b) bulk ingest of {b['values']:,} values ({b['csv_mb']:.1f} MB of CSV) into a fresh database")
            print(f"    PostgreSQL COPY of the same rows   {b['copy_seconds']:7.1f} s  {copy_rate:10,.0f} values/s")
            print(f"    POST /values/import (CSV)          {b['ingest_seconds']:7.1f} s  {ingest_rate:10,.0f} values/s")
            ratio = ingest_rate / copy_rate
            verdict = "meets" if ratio >= 0.3 else "BELOW"
            print(f"    ingest rate / COPY rate x{ratio:.2f} ({verdict} the 0.3 target)")
            print(
                f"    service RSS idle {b['idle_mb']:.0f} MB; peak (VmHWM) {b['peak_mb']:.0f} MB "
                f"(sampled VmRSS peak {b['sampled_peak_mb']:.0f} MB)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

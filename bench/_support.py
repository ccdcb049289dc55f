"""What the benchmarks share: a service started as a real process on loopback against a temporary
database and key, tokens and HTTP clients for it, and timing requests into samples.

A service is named by its package (`framework_api`, `recruitment_api`); from it follow its console
script (`framework-api`), its settings prefix (`FRAMEWORK_API_`) and its app factory
(`framework_api.main:create_app`). Not a benchmark itself: `run_all.py` runs only `bench_*.py`."""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from servicekit.keys import issue_token

HOST = "127.0.0.1"  # loopback only
TOKEN_TTL_SECONDS = 3600


@dataclass
class Sample:
    """Latencies of one kind of request, the wall time they took altogether, and what failed."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return self.median_ms
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[-1] * 1000


# --- the service process ----------------------------------------------------------------------


def command_name(package: str) -> str:
    """`framework_api` -> `framework-api`, the service's console script and name in messages."""
    return package.replace("_", "-")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def service_env(
    package: str,
    database: Path,
    public_key: Path,
    settings: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
) -> dict[str, str]:
    """The environment of a service in development mode on a SQLite file, verifying tokens with
    `public_key`, plus `settings` (names without the prefix). The shell's JWKS URL and the names in
    `unset` are removed, so the service uses the temporary key whatever the shell has set."""
    prefix = package.upper() + "_"
    env = {
        **os.environ,
        prefix + "ENVIRONMENT": "development",
        prefix + "DATABASE_URL": f"sqlite:///{database}",
        prefix + "JWT_PUBLIC_KEY_PATH": str(public_key),
        prefix + "MIGRATE_ON_STARTUP": "false",
        prefix + "LOG_LEVEL": "WARNING",
        **{prefix + name: value for name, value in (settings or {}).items()},
    }
    for name in ("JWKS_URL", *unset):
        env.pop(prefix + name, None)
    return env


def run_cli(package: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
    """The service's console script (e.g. `framework-api migrate`), run with this interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", f"from {package}.cli import app; app()", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{command_name(package)} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


@contextmanager
def running_service(
    package: str, work: Path, env: dict[str, str], log_name: str = "server"
) -> Iterator[tuple[str, int]]:
    """The service under uvicorn (one worker) on a free loopback port, once `/readyz` answers:
    yields its base URL and process id, and stops it afterwards. Its output goes to `log_name`.log."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = work / f"{log_name}.log"
    with log.open("w") as log_handle:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{package}.main:create_app",
                "--factory",
                "--host",
                HOST,
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=work,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(command_name(package), base, server, log, time.monotonic() + 60)
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.returncode not in (0, -15):
            print(f"({log_name} exited with {server.returncode}; log: {log.read_text()[-2000:]})")


def wait_ready(name: str, base: str, server: subprocess.Popen, log: Path, deadline: float) -> None:
    with httpx.Client(base_url=base, trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"{name} exited with {server.returncode}:\n{log.read_text()}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise SystemExit(f"{name} was not ready in time:\n{log.read_text()}")


# --- talking to it ----------------------------------------------------------------------------


def token_for(private_pem: bytes, subject: str, org: str, scopes: list[str]) -> str:
    """A bearer token signed with the temporary key, valid for the whole run."""
    return issue_token(private_pem, subject=subject, org=org, scopes=scopes, ttl_seconds=TOKEN_TTL_SECONDS)


def client_for(base: str, token: str | None = None, timeout: float = 120) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    # trust_env=False: never through a proxy, loopback only.
    return httpx.Client(base_url=base, headers=headers, trust_env=False, timeout=timeout)


# --- timing -----------------------------------------------------------------------------------


def timed(
    sample: Sample,
    call: Callable[[], httpx.Response],
    *,
    lock: threading.Lock | None = None,
    expected: int = 200,
) -> None:
    """Time one request into `sample`; an answer other than `expected`, or none, is a failure.
    Give the `lock` when several threads share the sample."""
    started = time.perf_counter()
    try:
        response = call()
        problem = None if response.status_code == expected else f"{response.status_code} {response.text[:300]}"
    except httpx.HTTPError as exc:
        problem = f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    with lock or nullcontext():
        sample.latencies.append(elapsed)
        if problem:
            sample.failures.append(problem)


def run_threads(work: Callable[[int], None], count: int) -> float:
    """`work(0)` to `work(count - 1)`, each in its own thread, all at once; returns the wall time."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


# --- PostgreSQL -------------------------------------------------------------------------------


@contextmanager
def fresh_postgres(server_url: str, label: str = "bench") -> Iterator[str]:
    """A new database on the server for this run only, dropped afterwards."""
    server = make_url(server_url)
    name = f"collective_{label}_{uuid.uuid4().hex[:10]}"
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


# --- load tests with locust -------------------------------------------------------------------
#
# A locustfile for these helpers reads LOCUST_MODE ("work" or "livez"), LOCUST_ROUND and
# LOCUST_ROUNDS, and when locust quits writes to LOCUST_OUTPUT a JSON object with the round's
# length in seconds, every request as [name, milliseconds, failed], and anything else it keeps.


def run_folder(stack: ExitStack, prefix: str, keep: bool) -> Path:
    """The run's folder (services' logs, locust's records): removed with `stack` unless `keep`."""
    if keep:
        return Path(tempfile.mkdtemp(prefix=prefix))
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))


def run_locust(
    locustfile: Path, work: Path, base: str, mode: str, users: int, seconds: float, round_: int, rounds: int,
    env: Mapping[str, str],
) -> dict:  # fmt: skip
    """One round of locust, headless, in its own process (it patches the standard library with
    gevent); returns what the locustfile recorded."""
    output = work / f"{mode}-{round_}.json"
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", base,
        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{max(1, round(seconds))}s",
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    full_env = {
        **os.environ,
        **env,
        "LOCUST_MODE": mode,
        "LOCUST_ROUND": str(round_),
        "LOCUST_ROUNDS": str(rounds),
        "LOCUST_OUTPUT": str(output),
    }
    result = subprocess.run(command, env=full_env, cwd=work, capture_output=True, text=True, check=False)
    if not output.exists():
        raise SystemExit(f"locust ({mode}) recorded nothing:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(output.read_text())


def alternate_locust_rounds(
    locustfile: Path, work: Path, base: str, options: argparse.Namespace, env: Mapping[str, str]
) -> dict[str, list[dict]]:
    """`options.rounds` rounds of the work (`options.seconds` in all) alternating with rounds of
    GET /livez (`options.livez_seconds` in all), so both see the same machine load."""
    rounds: dict[str, list[dict]] = {"work": [], "livez": []}
    for round_ in range(options.rounds):
        for mode, seconds in (("work", options.seconds), ("livez", options.livez_seconds)):
            share = seconds / options.rounds
            rounds[mode].append(
                run_locust(locustfile, work, base, mode, options.users, share, round_, options.rounds, env)
            )
    return rounds


def add_locust_options(parser: argparse.ArgumentParser, users: int = 200) -> None:
    parser.add_argument("--users", type=int, default=users, help="concurrent clients")
    parser.add_argument("--seconds", type=int, default=60, help="the work, all rounds together")
    parser.add_argument("--livez-seconds", type=int, default=21, help="the livez baseline, all rounds together")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the work and livez")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report_locust_rounds(rounds: dict[str, list[dict]]) -> tuple[dict[str, float], int]:
    """Prints count, errors, requests/s, p50, p99 and max per kind of request over every round;
    returns the rates by name ("all work" and "all livez" included) and the number of errors."""
    print(f"    {'request':<16} {'count':>7} {'errors':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
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
                f"    {name:<16} {len(chosen):>7} {failed:>7} {rates[name]:>8.1f} {percentile(latencies, 0.5):>8.0f} "
                f"{percentile(latencies, 0.99):>8.0f} {max(latencies, default=float('nan')):>8.0f}"
            )
    for failure in [f for recorded in rounds.values() for r in recorded for f in r.get("failures", [])][:6]:
        print(f"    failure: {failure}")
    return rates, errors


def print_ratio(rates: dict[str, float], what: str) -> None:
    livez = rates.get("all livez", 0.0)
    ratio = rates["all work"] / livez if livez else float("nan")
    print(f"    ratio {what} throughput / livez throughput: {ratio:.2f} ({rates['all work']:.0f} vs {livez:.0f} req/s)")

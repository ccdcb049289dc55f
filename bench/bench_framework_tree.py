"""How much does serving a whole framework tree cost, next to the cheapest request the service has?

Starts framework-api as a real process on a free loopback port, against a fresh SQLite database and
a fresh key pair, after `framework-api migrate` and `framework-api seed`. Then, in interleaved
rounds (so both endpoints see the same machine load), it measures GET /versions/{id}/tree of the
seeded published version and GET /livez: sequentially on one keep-alive connection, and 8 threads
at once. It prints requests per second, median and p95 latency of each, and the ratios
tree / livez, which mean more than the absolute numbers on a shared machine.

    uv run python bench/bench_framework_tree.py [--requests 300] [--warmup 30] [--budget 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _support import (
    Sample,
    client_for,
    run_cli,
    run_threads,
    running_service,
    service_env,
    timed,
    token_for,
)

from servicekit.keys import ensure_keys

CONCURRENCY = 8
CHUNK = 30  # requests per endpoint per round


def published_version(client: httpx.Client) -> tuple[str, str]:
    response = client.get("/frameworks")
    response.raise_for_status()
    body = response.json()
    frameworks = body["items"] if isinstance(body, dict) else body
    for framework in frameworks:
        latest = framework.get("latest_published")
        if latest:
            label = f"{framework.get('title', '?')} {latest.get('version', '')}".strip()
            return str(latest["id"]), label
    raise SystemExit(f"no published framework version after `framework-api seed`: {body}")


def sequential(client: httpx.Client, path: str, count: int, sample: Sample) -> None:
    started = time.perf_counter()
    for _ in range(count):
        timed(sample, lambda: client.get(path))
    sample.wall += time.perf_counter() - started


def concurrent(clients: list[httpx.Client], path: str, count: int, sample: Sample) -> None:
    """`count` requests spread over one thread per client, each on its own keep-alive connection."""
    lock = threading.Lock()
    shares = [count // len(clients) + (n < count % len(clients)) for n in range(len(clients))]

    def worker(n: int) -> None:
        client = clients[n]
        for _ in range(shares[n]):
            timed(sample, lambda: client.get(path), lock=lock)

    sample.wall += run_threads(worker, len(clients))


def interleave(
    run: Callable[[str, int, Sample], None],
    paths: dict[str, str],
    total: int,
    samples: dict[str, Sample],
    deadline: float,
) -> bool:
    """Rounds of at most CHUNK requests, each endpoint in turn with the order alternating, until
    every endpoint has `total`; False if the deadline stopped it first."""
    names = list(paths)
    round_number = 0
    while True:
        order = names if round_number % 2 == 0 else names[::-1]
        round_number += 1
        for name in order:
            missing = total - len(samples[name].latencies)
            if missing <= 0:
                continue
            if time.monotonic() > deadline:
                return False
            run(paths[name], min(CHUNK, missing), samples[name])
        if all(len(samples[name].latencies) >= total for name in names):
            return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per endpoint and mode")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured requests per endpoint first")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of measuring (split between the modes)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-framework-") as folder:
        work = Path(folder)
        private_key, public_key = ensure_keys(work / "keys")
        env = service_env("framework_api", work / "framework.db", public_key)
        run_cli("framework_api", ["migrate"], env, work)
        run_cli("framework_api", ["seed"], env, work)
        with running_service("framework_api", work, env) as (base, _pid):
            token = token_for(private_key.read_bytes(), subject="bench", org="BHSCT", scopes=["framework:read"])
            return measure(base, token, options)


def measure(base: str, token: str, options: argparse.Namespace) -> int:
    clients = [client_for(base, token, timeout=30) for _ in range(CONCURRENCY)]
    try:
        main_client = clients[0]
        version_id, label = published_version(main_client)
        paths = {"tree": f"/versions/{version_id}/tree", "livez": "/livez"}
        tree = main_client.get(paths["tree"])
        tree.raise_for_status()

        scratch = Sample()
        for path in paths.values():
            sequential(main_client, path, options.warmup, scratch)
            concurrent(clients, path, options.warmup, scratch)

        results: dict[str, dict[str, Sample]] = {"sequential": {}, f"{CONCURRENCY} threads": {}}
        complete = True
        for mode, samples in results.items():
            samples.update({name: Sample() for name in paths})
            deadline = time.monotonic() + options.budget / len(results)

            def run(path: str, count: int, sample: Sample, mode: str = mode) -> None:
                if mode == "sequential":
                    sequential(main_client, path, count, sample)
                else:
                    concurrent(clients, path, count, sample)

            complete = interleave(run, paths, options.requests, samples, deadline) and complete
    finally:
        for client in clients:
            client.close()

    print(
        f"framework-api: GET /versions/{{id}}/tree of {label.strip()} "
        f"({len(tree.content):,} bytes) against GET /livez, same process, same run"
    )
    print(f"{'mode':<12} {'endpoint':<8} {'requests':>8} {'req/s':>9} {'median ms':>10} {'p95 ms':>8}")
    failures = 0
    for mode, samples in results.items():
        for name, sample in samples.items():
            failures += len(sample.failures)
            print(
                f"{mode:<12} {name:<8} {len(sample.latencies):>8} {sample.rate:>9.1f} "
                f"{sample.median_ms:>10.2f} {sample.p95_ms:>8.2f}"
            )
    print("ratios tree / livez (higher is costlier):")
    for mode, samples in results.items():
        tree_sample, livez_sample = samples["tree"], samples["livez"]
        nan = float("nan")
        slower = tree_sample.median_ms / livez_sample.median_ms if livez_sample.latencies else nan
        p95 = tree_sample.p95_ms / livez_sample.p95_ms if livez_sample.latencies else nan
        fewer = livez_sample.rate / tree_sample.rate if tree_sample.rate else nan
        print(f"  {mode:<12} median latency x{slower:.2f}, p95 latency x{p95:.2f}, throughput livez/tree x{fewer:.2f}")
    if not complete:
        print(f"(stopped at the {options.budget:.0f} s budget: fewer requests than asked)")
    if failures:
        print(f"FAILED: {failures} requests did not answer 200")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

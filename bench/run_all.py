"""Run every bench/bench_*.py in turn and print its output (what `make bench` calls).

Each benchmark starts what it needs on loopback, measures a baseline in the same run and prints
ratios. Exits non-zero if any benchmark failed or overran its time limit.

    uv run python bench/run_all.py [name-fragment ...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIME_LIMIT_SECONDS = 300


def main(selected: list[str]) -> int:
    benches = sorted(HERE.glob("bench_*.py"))
    if selected:
        benches = [b for b in benches if any(fragment in b.stem for fragment in selected)]
    if not benches:
        print("no benchmark matched", file=sys.stderr)
        return 2
    failed = []
    for bench in benches:
        print(f"== {bench.name}", flush=True)
        started = time.monotonic()
        try:
            code = subprocess.run(
                [sys.executable, str(bench)],
                cwd=HERE.parent,
                timeout=TIME_LIMIT_SECONDS,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            print(f"{bench.name}: stopped after {TIME_LIMIT_SECONDS} s", flush=True)
            code = -1
        print(f"== {bench.name}: exit {code} after {time.monotonic() - started:.0f} s\n", flush=True)
        if code != 0:
            failed.append(bench.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    print(f"all {len(benches)} benchmark(s) ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

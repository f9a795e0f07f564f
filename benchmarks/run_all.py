"""Run every ``benchmarks/bench_*.py`` in turn (``make bench``).

Each benchmark runs in its own process with this interpreter and its default arguments, writes
its tables to ``benchmarks/_results/`` and prints them. Exit status is non-zero if any failed.

usage: python benchmarks/run_all.py [--only NAME ...] [--list]

>>> "bench_estimation.py" in {p.name for p in discover()}
True
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[Path]:
    """All ``bench_*.py`` files beside this script, sorted by name."""
    return sorted(HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run every benchmarks/bench_*.py.")
    p.add_argument("--only", nargs="+", default=None, help="names, e.g. estimation weighting")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = p.parse_args(argv)
    benches = discover()
    if args.only:
        wanted = {n.removeprefix("bench_").removesuffix(".py") for n in args.only}
        benches = [b for b in benches if b.stem.removeprefix("bench_") in wanted]
    if args.list:
        print("\n".join(b.name for b in benches))
        return 0
    failed = []
    for bench in benches:
        print(f"\n######## {bench.name}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, str(bench)], cwd=HERE.parent).returncode
        print(
            f"######## {bench.name}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True
        )
        if rc != 0:
            failed.append(bench.name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

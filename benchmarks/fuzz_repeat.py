"""Run the bounded fuzz tests many times in a row, each in a fresh interpreter.

Shows that ``tests/fuzz`` is deterministic: every run must pass, and every run must feed the
readers the same inputs. Each run writes an order-free digest of the inputs it fed
(``tests/fuzz/fuzz_targets.py``, ``TRUSTSURVEY_FUZZ_DIGEST``); a second distinct digest means
a run drew other examples (global random state, time, hash seed, an example database).
Each run gets another ``PYTHONHASHSEED``, so set and dict orders differ between runs as they
do between real sessions.

Usage::

    nice .venv/bin/python benchmarks/fuzz_repeat.py --runs 50
    nice .venv/bin/python benchmarks/fuzz_repeat.py --runs 50 -- -k "not exits_2"

Arguments after ``--`` go to pytest (default: ``tests/fuzz``). Prints one line per run and a
summary (runs, passed, distinct input digests, seconds per run); stops at the first failure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args()
    pytest_args = args.pytest_args or ["tests/fuzz"]
    if not any(a.startswith("tests") for a in pytest_args):
        pytest_args = ["tests/fuzz", *pytest_args]
    with tempfile.TemporaryDirectory() as tmp:
        digests = Path(tmp) / "digests.txt"
        passed, seconds = 0, []
        for run in range(1, args.runs + 1):
            env = {
                **os.environ,
                "TRUSTSURVEY_FUZZ_DIGEST": str(digests),
                "PYTHONHASHSEED": str(run),
                "PYTHONPATH": os.pathsep.join(
                    [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
                ),
            }
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            started = time.perf_counter()
            result = subprocess.run(
                [*command, *pytest_args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            seconds.append(time.perf_counter() - started)
            last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"run {run}: exit {result.returncode}, {last}", flush=True)
            if result.returncode != 0:
                print(result.stdout[-4000:], result.stderr[-2000:], sep="\n")
                break
            passed += 1
        lines = digests.read_text(encoding="utf-8").splitlines() if digests.exists() else []
    distinct = sorted(set(lines))
    mean = sum(seconds) / len(seconds)
    print(
        f"{passed} of {args.runs} runs passed in a row; {len(distinct)} distinct input "
        f"digest(s) over {len(lines)} runs; {mean:.0f} s per run ({sum(seconds):.0f} s in all); "
        f"pytest {' '.join(pytest_args)}"
    )
    for line in distinct:
        print(f"  inputs fed: {line}")
    return 0 if passed == args.runs and len(distinct) <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Run the bounded fuzz tests many times in a row, each in a fresh interpreter.

Shows that ``tests/fuzz`` is deterministic: every run must pass, and every run must feed the
readers the same inputs. Each run writes an order-free digest of the inputs it fed
(``tests/fuzz/fuzz_targets.py``, ``TRUSTSURVEY_FUZZ_DIGEST``); a second distinct digest means
a run drew other examples (global random state, time, hash seed, an example database).
Each run gets another ``PYTHONHASHSEED`` and its own pytest temporary folder, so set and dict
orders differ between runs as they do between real sessions.

Usage::

    nice .venv/bin/python benchmarks/fuzz_repeat.py --runs 50
    nice .venv/bin/python benchmarks/fuzz_repeat.py --runs 50 --jobs 2 --jobs-file /tmp/jobs
    nice .venv/bin/python benchmarks/fuzz_repeat.py --runs 50 -- -k "not exits_2"

Arguments after ``--`` go to pytest (default: ``tests/fuzz``). ``--jobs`` runs that many at
once; ``--jobs-file`` names a file holding a number that, when present, replaces ``--jobs``
before each new run starts (lower it while others need the CPU). Prints one line per run
and a summary (runs, passed in a row, distinct input digests, seconds per run), also written
as JSON to ``benchmarks/_results/fuzz_repeat_<time>.json`` and ``fuzz_repeat_latest.json``;
stops starting runs at the first failure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "_results"


def _jobs(default: int, jobs_file: Path | None) -> int:
    if jobs_file is not None and jobs_file.is_file():
        try:
            return max(1, int(jobs_file.read_text(encoding="utf-8").strip()))
        except ValueError:
            pass
    return default


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    parser.add_argument("--jobs-file", type=Path, default=None)
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args()
    pytest_args = args.pytest_args or ["tests/fuzz"]
    if not any(a.startswith("tests") for a in pytest_args):
        pytest_args = ["tests/fuzz", *pytest_args]
    began = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        digests = Path(tmp) / "digests.txt"
        running: dict[int, tuple[subprocess.Popen[str], float, Path]] = {}
        results: dict[int, tuple[int, float, str]] = {}
        next_run, failed = 1, False
        while running or (next_run <= args.runs and not failed):
            while (
                not failed
                and next_run <= args.runs
                and len(running) < _jobs(args.jobs, args.jobs_file)
            ):
                env = {
                    **os.environ,
                    "TRUSTSURVEY_FUZZ_DIGEST": str(digests),
                    "PYTHONHASHSEED": str(next_run),
                    "PYTHONPATH": os.pathsep.join(
                        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
                    ),
                }
                out = Path(tmp) / f"run{next_run}.txt"
                command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
                command += ["--basetemp", str(Path(tmp) / f"pytest{next_run}")]
                with out.open("w", encoding="utf-8") as sink:
                    proc = subprocess.Popen(
                        [*command, *pytest_args],
                        cwd=ROOT,
                        env=env,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                running[next_run] = (proc, time.perf_counter(), out)
                next_run += 1
            time.sleep(0.5)
            for run, (proc, started, out) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[run]
                seconds = time.perf_counter() - started
                text = out.read_text(encoding="utf-8", errors="replace")
                last = (text.strip().splitlines() or ["(no output)"])[-1]
                results[run] = (proc.returncode, seconds, last)
                print(f"run {run}: exit {proc.returncode}, {seconds:.0f} s, {last}", flush=True)
                if proc.returncode != 0:
                    print(text[-6000:])
                    failed = True
        lines = digests.read_text(encoding="utf-8").splitlines() if digests.exists() else []
    passed = 0
    while passed + 1 in results and results[passed + 1][0] == 0:
        passed += 1
    seconds = [s for _code, s, _last in results.values()]
    distinct = sorted(set(lines))
    mean = sum(seconds) / max(len(seconds), 1)
    wall = time.time() - began
    print(
        f"{passed} of {args.runs} runs passed in a row; {len(distinct)} distinct input "
        f"digest(s) over {len(lines)} runs; {mean:.0f} s per run ({wall:.0f} s wall in all, "
        f"up to {args.jobs} at once); pytest {' '.join(pytest_args)}"
    )
    for line in distinct:
        print(f"  inputs fed: {line}")
    summary = {
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(began)),
        "pytest_args": pytest_args,
        "runs": args.runs,
        "runs_finished": len(results),
        "passed_in_a_row": passed,
        "failed_runs": sorted(r for r, (code, _s, _l) in results.items() if code != 0),
        "distinct_digests": distinct,
        "digests_written": len(lines),
        "seconds_per_run": {
            "mean": round(mean, 1),
            "min": round(min(seconds, default=0.0), 1),
            "max": round(max(seconds, default=0.0), 1),
        },
        "wall_seconds": round(wall, 1),
        "jobs": args.jobs,
        "last_lines": {r: last for r, (_c, _s, last) in sorted(results.items())},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(began))
    for name in (f"fuzz_repeat_{stamp}.json", "fuzz_repeat_latest.json"):
        (RESULTS / name).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0 if passed == args.runs and len(distinct) <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())

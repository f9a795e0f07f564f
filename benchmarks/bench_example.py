"""Example generator at national scale: ``trustsurvey example DIR --communities N --waves W``.

Timed (wall clock, one run per size, each in its own process so peak memory is its own):
``generate_example(folder, communities=N, waves=W)`` — sampling, answers, programme records
and writing every file. Compared with a bound measured in the same process: writing the
same waves with ``pyreadstat.write_sav`` alone (the floor of a study delivered as SPSS), so
``generator / bound`` says what the generation itself costs beyond the writing.

Reported per N: seconds, rows, seconds per 100,000 rows, generator / bound, peak RSS (MiB),
and the time-growth exponent between consecutive sizes (1 = linear in N). Targets: 1,469
communities x 4 waves within 120 s and 4 GiB; growth at most N^1.2.

usage::

    .venv/bin/python benchmarks/bench_example.py                       # N = 12, 100, 400, 1469
    .venv/bin/python benchmarks/bench_example.py --sizes 12 30 --waves 2   # smoke

Results: ``benchmarks/_results/example_<UTC time>.{md,json}`` and ``example_latest.*``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGETS = {"seconds_1469": 120.0, "rss_mib": 4096.0, "growth": 1.2}


def measure(n: int, waves: int, seed: int) -> dict[str, Any]:
    """Generate one study and time the pyreadstat bound on its waves (in this process)."""
    import pyreadstat

    from trustsurvey.example import generate_example

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = generate_example(
            Path(tmp) / "s", seed=seed, communities=n, waves=waves, progress=False
        )
        seconds = time.perf_counter() - started
        frames = [pyreadstat.read_sav(str(p))[0] for p in sorted(folder.glob("data/*.sav"))]
        started = time.perf_counter()
        for i, frame in enumerate(frames):
            pyreadstat.write_sav(frame, str(Path(tmp) / f"bound{i}.sav"))
        bound = time.perf_counter() - started
    rows = sum(len(f) for f in frames)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "communities": n,
        "waves": waves,
        "seconds": seconds,
        "bound": bound,
        "rows": rows,
        "rss_mib": rss,
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| communities | waves | rows | seconds | s / 100k rows | generator / bound | peak RSS MiB "
        "| growth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    previous = None
    for r in results:
        growth = ""
        if previous is not None:
            growth = f"{math.log(r['seconds'] / previous['seconds']) / math.log(r['communities'] / previous['communities']):.2f}"  # noqa: E501
        lines.append(
            f"| {r['communities']:,} | {r['waves']} | {r['rows']:,} | {r['seconds']:.1f} | "
            f"{r['seconds'] / r['rows'] * 1e5:.1f} | {r['seconds'] / r['bound']:.1f} | "
            f"{r['rss_mib']:.0f} | {growth} |"
        )
        previous = r
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[12, 100, 400, 1469])
    p.add_argument("--waves", type=int, default=4)
    p.add_argument("--seed", type=int, default=20190415)
    p.add_argument("--out", type=Path, default=HERE / "_results")
    p.add_argument("--one", type=int, help=argparse.SUPPRESS)  # run one size, print JSON
    args = p.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.waves, args.seed)))
        return 0
    results = []
    for n in args.sizes:
        run = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(n),
                "--waves",
                str(args.waves),
                "--seed",
                str(args.seed),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
        print(table(results).splitlines()[-1], flush=True)
    md = table(results)
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"example_{stamp}", "example_latest"):
        (args.out / f"{name}.md").write_text(md + "\n", encoding="utf-8")
        (args.out / f"{name}.json").write_text(
            json.dumps({"results": results, "targets": TARGETS}, indent=2), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

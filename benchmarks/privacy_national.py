"""The intruder of ``tests/privacy/test_privacy_national.py`` on a study of 100 communities
(the suite runs it at 24): the real pipeline writes the study, the dashboard serves it, the
intruder walks every page with every filter value in both languages and downloads every
view, and the exact LP attack on everything published, an LP attack on the hotline counts
and monthly series and the writer's exact audit must recover no suppressed cell. Then the
study gets late interviews and is published again with ``publish.previous_bundle``: an
intruder with both releases recovers no small cell, and without it (the negative control)
does.

    python benchmarks/privacy_national.py --communities 100

Prints the pytest status, the wall time, each test's time and the figures the tests record
(cells attacked, cells solved by their own programmes, cells recovered, requests made).
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

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "figures.json"
        env = {
            **os.environ,
            "TRUSTSURVEY_PRIVACY_COMMUNITIES": str(args.communities),
            "TRUSTSURVEY_PRIVACY_REPORT": str(report),
        }
        start = time.perf_counter()
        test = REPO / "tests" / "privacy" / "test_privacy_national.py"
        command = [sys.executable, "-m", "pytest", "-q", "--durations=0", str(test)]
        status = subprocess.call(command, cwd=REPO, env=env)
        took = time.perf_counter() - start
        figures = json.loads(report.read_text("utf-8")) if report.exists() else {}
    print(f"{args.communities} communities: pytest status {status} in {took:.0f} s")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())

"""The intruder of ``tests/privacy/test_privacy_national.py`` on a study of 100 communities
(the suite runs it at 24): the real pipeline writes the study, the dashboard serves it, and
the HTTP downloads, an LP attack on the hotline counts and monthly series, and the exact
audit must recover no suppressed cell.

    python benchmarks/privacy_national.py --communities 100
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=100)
    args = parser.parse_args(argv)
    env = {**os.environ, "TRUSTSURVEY_PRIVACY_COMMUNITIES": str(args.communities)}
    start = time.perf_counter()
    test = REPO / "tests" / "privacy" / "test_privacy_national.py"
    status = subprocess.call([sys.executable, "-m", "pytest", "-q", str(test)], cwd=REPO, env=env)
    took = time.perf_counter() - start
    print(f"{args.communities} communities: pytest status {status} in {took:.0f} s")
    return status


if __name__ == "__main__":
    raise SystemExit(main())

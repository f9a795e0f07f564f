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

With ``--new-wave`` the update adds a wave instead: the first release holds every wave of
the study but the last, and the records (hotline appeals, activities) up to ``--cutoff``
(default: the 15th of the month halfway between the last two waves); the second release
holds every wave and record and names the first as ``publish.previous_bundle``. The study is
written by ``trustsurvey example --communities N --waves W`` or is ``--study FOLDER`` (e.g.
the example study, ``data/example``). The attack of ``tests/privacy/releases.py`` runs on
both releases; the exit status is 1 when it recovers a cell, 2 when an exact bound misses a
cell's true value (the intruder's model would be wrong).

    python benchmarks/privacy_national.py --new-wave --communities 24 --waves 3
    python benchmarks/privacy_national.py --new-wave --study data/example
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--new-wave", action="store_true", help="an update that adds a wave")
    parser.add_argument("--waves", type=int, default=3, help="waves of the study (--new-wave)")
    parser.add_argument("--study", type=Path, help="a study folder to use (--new-wave)")
    parser.add_argument("--cutoff", help="last day of the first release's records, YYYY-MM-DD")
    args = parser.parse_args(argv)
    if args.new_wave:
        return new_wave(args)
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


def new_wave(args: argparse.Namespace) -> int:
    """Write both releases, attack them jointly, check the bounds against the true values
    and print what is recovered; the exit status as the module says."""
    sys.path.insert(0, str(REPO / "tests" / "privacy"))
    from national import new_wave_releases
    from releases import attack_releases

    from trustsurvey.example import generate_example

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        if args.study is not None:
            study, name = args.study.resolve(), str(args.study)
        else:
            study = generate_example(
                root / "study", communities=args.communities, waves=args.waves, progress=False
            )
            name = f"{args.communities} communities, {args.waves} waves"
        rel = new_wave_releases(study, root, args.cutoff)
        written = time.perf_counter() - start
        start = time.perf_counter()
        bounds = attack_releases([rel["first"], rel["second"]])
        attacked = time.perf_counter() - start
        bounds = with_truth(bounds, rel)
    print(f"{name}: first release up to {rel['cutoff']}; releases written in {written:.0f} s,")
    print(f"  attacked in {attacked:.1f} s")
    return report(bounds, rel)


def with_truth(bounds: Any, rel: dict[str, Any]) -> Any:
    """``bounds`` with each cell's keys and true value (from the runs, before suppression)."""
    from national import true_counts, true_tables

    from trustsurvey.publish.schema import KINDS

    bundles = [rel["first"], rel["second"]]
    out = bounds.copy()
    out["keys"], out["true"] = "", float("nan")
    for (r, kind), part in bounds.groupby(["release", "table"]):
        true = true_tables(rel["runs"][r])
        out.loc[part.index, "true"] = true_counts(true, bundles[r], kind, part["row"])
        keys = bundles[r].tables[kind].iloc[part["row"].to_numpy()][list(KINDS[kind].keys)]
        out.loc[part.index, "keys"] = [" ".join(map(str, k)) for k in keys.to_numpy()]
    return out


def report(bounds: Any, rel: dict[str, Any]) -> int:
    """Print the figures and the recovered cells; the exit status."""
    import pandas as pd

    exact = bounds[bounds["solved"]]
    wrong = exact[(exact["true"] < exact["lower"] - 1e-6) | (exact["true"] > exact["upper"] + 1e-6)]
    exposed = bounds[bounds["exposed"]]
    waves = [len(rel[k].manifest["waves"]) for k in ("first", "second")]
    per = bounds.groupby("release").size().reindex([0, 1], fill_value=0).tolist()
    small = int((bounds["reason"] == "small_cell").sum())
    print(f"  waves {waves[0]} -> {waves[1]}; sensitive cells {len(bounds)} ({small} small;")
    print(f"  first release {per[0]}, second {per[1]}); decided by their own programmes")
    print(f"  {len(exact)}, whose exact bounds miss the true value in {len(wrong)}")
    print(f"  recovered: {len(exposed)} ({int((exposed['reason'] == 'small_cell').sum())} small)")
    if len(exposed):
        counts = exposed.groupby(["release", "table", "reason"]).size().rename("cells")
        print(counts.to_string())
        width = exposed["upper"] - exposed["lower"]
        shown = exposed.assign(width=width)[
            ["release", "table", "keys", "reason", "lower", "upper", "width", "required", "true"]
        ]
        with pd.option_context("display.width", 200, "display.max_rows", 500):
            print(shown.sort_values(["table", "keys", "release"]).to_string(index=False))
    if len(wrong):
        print("exact bounds that miss the true value (the intruder's model is wrong):")
        print(wrong.to_string(index=False))
        return 2
    return 1 if len(exposed) else 0


if __name__ == "__main__":
    raise SystemExit(main())

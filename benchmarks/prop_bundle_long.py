"""Long runs of the whole-pipeline bundle properties (CI runs a short version:
``tests/property/test_pipeline_bundle.py``, whose helpers this script reuses).

On copies of the example study (its wave files rewritten, never the originals):

* ``--permutations N`` row permutations (identical interviews kept in their relative order):
  every Parquet table of the bundle byte-identical, manifest equal but for ``created``;
  ``--swap-duplicates`` adds a permutation leaving the copies free to move and one that
  only swaps the copies of the duplicated interview (validation calls the copy with the
  smallest respondent id the original, so neither changes the bundle);
* ``--remove K`` respondents removed, one per study (the one in the smallest published
  answer count, then random ones), and ``--add K`` new respondents added (one joining the
  largest small count, then random ones: a copy of a respondent with one Likert answer
  changed), each written as an update of the first (``publish.previous_bundle``): the LP
  audit (``audit_bundle``) of the new bundle, and what an intruder holding the old and the
  new bundle pins down (subtraction, and the LP fed with both).

Usage::

    .venv/bin/python benchmarks/prop_bundle_long.py                      # 3 + 3 + 3 runs
    .venv/bin/python benchmarks/prop_bundle_long.py --permutations 10 --remove 10 --add 10
    .venv/bin/python benchmarks/prop_bundle_long.py --permutations 1 --swap-duplicates \\
        --remove 0 --add 0 --all-steps

Prints one line per run and a summary; writes ``benchmarks/_results/prop_bundle_long_latest.
json``. Exit status 1 when a property fails (reported, not hidden).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "property")]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import test_pipeline_bundle as props  # noqa: E402

RESULTS = ROOT / "benchmarks" / "_results"


def _run(folder: Path, all_steps: bool) -> tuple[Path, float]:
    from trustsurvey.run.pipeline import STEPS

    t0 = time.perf_counter()
    names = tuple(s.name for s in STEPS) if all_steps else None
    return props.run_bundle(folder, names), time.perf_counter() - t0


def _audit(bundle: Path) -> str:
    from trustsurvey.errors import PublishError
    from trustsurvey.publish.audit import audit_bundle

    try:
        result = audit_bundle(bundle)
    except PublishError as err:
        return f"EXPOSED: {err}"
    return f"ok ({len(result)} suppressed cells audited)"


def _intruder(old: Path, new: Path) -> dict[str, Any]:
    changed = props.published_change(old, new)
    pairs = props.differencing_exposures(old, new, changed)
    found = {
        "subtraction": pairs[pairs["exposed"]] if len(pairs) else pairs,
        "old given new": props.joint_exposures(old, new, changed),
        "new given old": props.joint_exposures(new, old, changed),
    }
    return {
        "changed": changed,
        **{k: v.to_dict("records") for k, v in found.items()},
        "leak": any(len(v) for v in found.values()),
    }


def _random_removals(base: dict[str, Any], k: int, rng: np.random.Generator) -> list[tuple]:
    frame = pd.read_parquet(base["folder"] / "out" / "analysis.parquet")
    picks = frame.iloc[rng.choice(len(frame), size=k, replace=False)]
    return [(int(r.wave), r.resp_id) for r in picks.itertuples(index=False)]


def _cleaned(folder: Path) -> dict[int, pd.DataFrame]:
    """Raw codes of the respondents cleaning kept, per wave (``out/clean/``)."""
    from trustsurvey.io import read_survey
    from trustsurvey.study import load_study

    study = load_study(folder)
    return {
        w.code: read_survey(study.out_dir / "clean" / f"{w.file.stem}_clean.sav").data
        for w in study.waves
    }


def _random_additions(base: dict[str, Any], k: int, rng: np.random.Generator) -> list[tuple]:
    """(wave, like, item, code): a copy of a random kept respondent ``like`` answering
    ``code`` (another code seen for that Likert item) instead of their own answer."""
    counts = base["counts"]
    waves = _cleaned(base["folder"])
    items = sorted(counts["outcome"].unique())
    out: list[tuple] = []
    while len(out) < k:
        wave = int(rng.choice(sorted(waves)))
        data = waves[wave]
        row = data.iloc[int(rng.integers(len(data)))]
        item = str(rng.choice(items))
        answer = float(row[item])
        if not np.isfinite(answer):  # not asked (skip logic): pick another
            continue
        codes = sorted({float(c) for c in counts.loc[counts["outcome"] == item, "code"]})
        codes = [c for c in codes if c != answer]
        out.append((wave, row["resp_id"], item, float(rng.choice(codes))))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permutations", type=int, default=3)
    parser.add_argument("--remove", type=int, default=3)
    parser.add_argument("--add", type=int, default=3)
    parser.add_argument("--swap-duplicates", action="store_true")
    parser.add_argument("--all-steps", action="store_true", help="also the measurement step")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the study copies here")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="prop_bundle_"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []

    def report(kind: str, ok: bool, seconds: float, **info: Any) -> None:
        results.append({"kind": kind, "ok": ok, "seconds": round(seconds, 1), **info})
        detail = info.get("differences") or info.get("audit") or ""
        print(f"{kind:<22} {'ok ' if ok else 'FAIL'} {seconds:6.1f} s  {detail}", flush=True)

    folder = props.copy_study(props.EXAMPLE, work / "base")
    bundle, secs = _run(folder, args.all_steps)
    base = {"folder": folder, "bundle": bundle, "counts": props.answer_counts(folder)}
    report("base", True, secs, audit=_audit(bundle))

    seeds = [int(s) for s in rng.integers(0, 2**31, size=args.permutations)]
    variants = [(f"permuted {s}", props.permuted(s)) for s in seeds]
    if args.swap_duplicates:
        variants.append(("permuted, copies free", props.permuted(args.seed, keep_pairs=False)))
        variants.append(("copies swapped only", props.swap_duplicates))
    for i, (name, change) in enumerate(variants):
        other = props._variant(base, f"perm{i}", change)
        b, secs = _run(other, args.all_steps)
        diff = props.bundle_differences(bundle, b)
        report(name, not diff, secs, differences="; ".join(diff) or "byte-identical")

    counts = base["counts"]
    removals = []
    if args.remove:
        cell = counts[~counts["suppressed"]].sort_values("n", kind="stable").iloc[0]
        removals.append((int(cell["wave"]), props.respondents_in(folder, cell)[-1]))
        removals += _random_removals(base, args.remove - 1, rng)
    for i, (wave, resp) in enumerate(removals):
        other = props._variant(base, f"removed{i}", props.without(wave, resp))
        props.as_update(other, bundle)
        b, secs = _run(other, args.all_steps)
        audit, intruder = _audit(b), _intruder(bundle, b)
        ok = audit.startswith("ok") and not intruder["leak"]
        report(f"removed {resp}", ok, secs, audit=audit, intruder=intruder)

    additions = []
    if args.add:
        small = counts[counts["suppression_reason"] == "small_cell"]
        cell = small.sort_values("n", kind="stable", ascending=False).iloc[0]
        same = counts[
            (counts["outcome"] == cell["outcome"])
            & (counts["wave"] == cell["wave"])
            & (counts["arm"] == cell["arm"])
            & (counts["code"] != cell["code"])
        ].sort_values("n")
        like = props.respondents_in(folder, same.iloc[-1])[0]
        additions.append((int(cell["wave"]), like, cell["outcome"], float(cell["code"])))
        additions += _random_additions(base, args.add - 1, rng)
    for i, (wave, like, item, code) in enumerate(additions):
        change = props.with_new(wave, like, item, code)
        other = props._variant(base, f"added{i}", change)
        props.as_update(other, bundle)
        b, secs = _run(other, args.all_steps)
        audit, intruder = _audit(b), _intruder(bundle, b)
        ok = audit.startswith("ok") and not intruder["leak"]
        report(f"added like {like} ({item}={code:g})", ok, secs, audit=audit, intruder=intruder)

    failed = [r for r in results if not r["ok"]]
    print(f"\n{len(results) - len(failed)} of {len(results)} runs hold the properties")
    for r in failed:
        if "intruder" in r:
            for key in ("subtraction", "old given new", "new given old"):
                for cell in r["intruder"][key]:
                    print(f"  {r['kind']}: {key}: {cell}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "prop_bundle_long_latest.json"
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"results: {out}; study copies in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

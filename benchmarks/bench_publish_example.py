"""Disclosure control on the example study: optimal against greedy complements on the tables
``trustsurvey run`` publishes for ``trustsurvey example``.

The example study is generated (seeded) and run up to the analysis; its publish step's tables
(:func:`trustsurvey.run.steps_publish.collect_tables`, normalised as the bundle writer does)
are protected by each method in turn with the study's own ``publish:`` policy. Reported per
method: seconds of ``protect_tables``, rows suppressed, complements, n withheld, the share of
information lost (:func:`trustsurvey.publish.loss.information_lost`: weighted count of the
suppressed rows over that of all rows), the sample-size rows hidden as complements, and the
cells an exact LP audit finds recoverable.

usage::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_publish_example.py

Results: ``benchmarks/_results/publish_example_latest.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "_results"
METHODS = ("optimal", "greedy")
#: the pipeline steps whose outputs the publish step reads
STEPS = ("read", "validate", "clean", "indices", "weight", "programme", "analysis")


def example_tables(folder: Path) -> tuple[dict[str, Any], Any]:
    """The example study's normalised publish tables and its disclosure policy."""
    from trustsurvey.example import generate_example
    from trustsurvey.publish.bundle import normalized_tables
    from trustsurvey.publish.policy import DisclosurePolicy
    from trustsurvey.run.pipeline import STEPS as ALL_STEPS
    from trustsurvey.run.pipeline import run_study
    from trustsurvey.run.steps_publish import collect_tables, study_meta

    study = generate_example(folder)
    ctx = run_study(study, steps=[s for s in ALL_STEPS if s.name in STEPS], echo=lambda s: None)
    arms = study_meta(ctx, ctx.analysis).get("arms") or {}
    return normalized_tables(collect_tables(ctx), arms), DisclosurePolicy.from_settings(
        ctx.study.publish
    )


def run_method(tables: dict[str, Any], policy: Any, method: str) -> dict[str, Any]:
    from trustsurvey.publish.audit import audit_tables
    from trustsurvey.publish.loss import information_lost
    from trustsurvey.publish.policy import DisclosurePolicy
    from trustsurvey.publish.suppression import protect_tables

    pol = DisclosurePolicy(**{**policy.to_dict(), "suppression_method": method})
    start = time.perf_counter()
    out, _ = protect_tables({k: v.copy() for k, v in tables.items()}, pol)
    seconds = time.perf_counter() - start
    audit = audit_tables(out, pol, exact=True)
    ss = out["sample_sizes"]
    return {
        "method": method,
        "seconds": seconds,
        **information_lost(tables, out),
        "sample_sizes_hidden": int((ss["suppression_reason"] == "complementary").sum()),
        "recoverable": int(audit["exposed"].sum()),
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| method | seconds | rows | rows suppressed | complements | n withheld "
        "| information lost | sample sizes hidden | recoverable |\n" + "|---" * 9 + "|\n"
    )
    return head + "".join(
        f"| {r['method']} | {r['seconds']:.1f} | {r['cells']} | {r['suppressed']} | "
        f"{r['complementary']} | {r['n_withheld']} | {100 * r['info_lost']:.4f}% | "
        f"{r['sample_sizes_hidden']} | {r['recoverable']} |\n"
        for r in rows
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=RESULTS, help="folder of the results")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tables, policy = example_tables(Path(tmp) / "example")
    rows = [run_method(tables, policy, m) for m in METHODS]
    md = table(rows)
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "publish_example_latest.md").write_text(md, encoding="utf-8")
    (args.out / "publish_example_latest.json").write_text(
        json.dumps(rows, indent=2), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

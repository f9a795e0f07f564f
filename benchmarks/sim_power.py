"""Check the DiD power formula of ``trustsurvey plan`` by simulation (2,000 replications).

For a grid of planning scenarios (effect, cells, ICC, cluster size, weighting design
effect), :func:`trustsurvey.analysis.simulate_did_power` draws settlements and respondents
for the four arm x wave cells, estimates the DiD with design-based (linearised,
with-replacement) standard errors, and counts rejections at alpha = 0.05. The formula
passes when every simulated power lies within +-3 points of :func:`did_power`
(the Monte-Carlo SE at 2,000 replications is at most 1.1 points).

Run:  .venv/bin/python benchmarks/sim_power.py [--reps 2000] [--seed 20240601]
Writes benchmarks/_results/sim_power.csv and prints the table; exit status 1 on failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from trustsurvey.analysis import did_sample_size, simulate_did_power

TOLERANCE = 0.03

# effect (SD units), n per cell (None: the planned n for 80% power), ICC, m, weighting deff
SCENARIOS = [
    (0.30, 400, 0.05, 10, 1.0),
    (0.25, 600, 0.03, 20, 1.3),
    (0.20, 400, 0.10, 8, 1.5),
    (0.35, 400, 0.08, 10, 1.4),
    (0.30, None, 0.05, 10, 1.3),
    (0.20, None, 0.02, 20, 1.2),
    (0.40, 200, 0.00, 1, 1.0),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    rows = []
    start = time.perf_counter()
    for i, (effect, n, icc, m, dw) in enumerate(SCENARIOS):
        if n is None:  # the sample size the planner recommends, rounded up to whole clusters
            planned = did_sample_size(effect, icc=icc, cluster_size=m, deff_weighting=dw)
            n = int(planned["clusters_per_cell"].iloc[0]) * m
        res = simulate_did_power(
            effect, n, icc=icc, cluster_size=m, deff_weighting=dw, reps=args.reps,
            seed=args.seed + i,
        ).iloc[0]  # fmt: skip
        rows.append(
            {
                "effect": effect,
                "n_per_cell": n,
                "icc": icc,
                "cluster_size": m,
                "deff_weighting": dw,
                "power_formula": res["power_formula"],
                "power_sim": res["power_sim"],
                "mc_se": res["mc_se"],
                "difference": res["power_sim"] - res["power_formula"],
                "mean_estimate": res["mean_estimate"],
                "reps": args.reps,
            }
        )
    table = pd.DataFrame(rows)
    table["within_3_points"] = table["difference"].abs() <= TOLERANCE
    out = Path(__file__).parent / "_results" / "sim_power.csv"
    out.parent.mkdir(exist_ok=True)
    table.to_csv(out, index=False)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\n{len(table)} scenarios, {args.reps} replications each, "
          f"{time.perf_counter() - start:.1f} s; written to {out}")  # fmt: skip
    ok = bool(table["within_3_points"].all())
    print("PASS: simulated power within +-3 points of the formula" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

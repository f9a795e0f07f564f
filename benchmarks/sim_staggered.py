"""Validity of ``did_staggered`` by simulation from a fixed finite population.

A synthetic population is drawn once (seeded) and held fixed: 4 strata of 40 communities
each, with fixed sizes (adults), fixed community effects and a fixed community trait that
scales the programme's effect. Communities adopt the programme in wave 2, 3 or 4 or never
(a quarter each, within every stratum). The effect on an adult of a community of cohort
``g`` in wave ``t >= g`` is ``(delta_g + gamma (t - g)) (1 + 0.5 trait)``, with ``delta`` =
0.8, 0.5, 0.2 for the cohorts of waves 2, 3, 4 and ``gamma`` = 0.4: effects differ by cohort
and grow with time since adoption, the case where the two-way fixed-effects regression is
biased (Goodman-Bacon 2021; de Chaisemartin & D'Haultfœuille 2020). The estimands are
**that population's** overall ATT (post-treatment cells weighted by cohort size, R
``did``'s ``aggte(type = "simple")``) and event-study ATTs (0 before adoption).

Each replication draws a stratified two-stage sample: 10 communities per stratum (``--take``)
by simple random sampling (stage 1, fpc 40), then in every wave 15 adults per community by simple
random sampling (stage 2, fpc the community's size; new adults each wave: repeated
cross-sections). Weight = (40 / 10) * (size / 15), unequal. Adults' answers are the
community effect, a common wave effect, the programme effect and noise.

Estimated with ``did_staggered(SurveyDesign(ids=["community", "rid"], strata="stratum",
fpc=["n_communities", "size"], ...))`` and with the two-way fixed-effects regression
``y ~ community + wave + treated`` (weighted, cluster-robust SE by community). Checked:
the 95% intervals of the overall effect and of every event time cover the population values
in 95% +- 2% of replications; the two-way fixed-effects estimate is biased (its mean more
than 3 Monte-Carlo SEs from the overall ATT).

Run:  .venv/bin/python benchmarks/sim_staggered.py [--reps 1000] [--seed 20261204] [--out FILE]
Prints the result as JSON (and writes it to --out, default
benchmarks/_results/sim_staggered.json); exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.analysis.staggered import did_staggered
from trustsurvey.design import SurveyDesign

N_STRATA, N_COMMUNITY, TAKE_COMMUNITY, TAKE_ADULTS = 4, 40, 10, 15
WAVES = (1, 2, 3, 4)
DELTA = {2: 0.8, 3: 0.5, 4: 0.2}
GAMMA = 0.4


@dataclass(frozen=True)
class Population:
    """The fixed finite population of communities (adults are exchangeable within one)."""

    stratum: np.ndarray
    size: np.ndarray
    effect: np.ndarray  # community effect
    trait: np.ndarray  # scales the programme's effect
    cohort: np.ndarray  # first treated wave, 0 = never


def make_population(seed: int = 20261204) -> Population:
    rng = np.random.default_rng(seed)
    n = N_STRATA * N_COMMUNITY
    stratum = np.repeat(np.arange(N_STRATA), N_COMMUNITY)
    cohorts = np.array([0, 2, 3, 4])
    cohort = np.concatenate(
        [rng.permutation(np.repeat(cohorts, N_COMMUNITY // 4)) for _ in range(N_STRATA)]
    )
    return Population(
        stratum=stratum,
        size=rng.integers(300, 5000, n),
        effect=rng.normal(0, 0.5, n) + 0.2 * stratum,
        trait=rng.uniform(-1, 1, n),
        cohort=cohort,
    )


def programme_effect(pop: Population, wave: int) -> np.ndarray:
    """Effect per community in ``wave`` (0 if not yet or never treated)."""
    g = pop.cohort
    on = (g > 0) & (wave >= g)
    base = np.array([DELTA.get(int(c), 0.0) for c in g])
    return np.where(on, (base + GAMMA * (wave - g)) * (1 + 0.5 * pop.trait), 0.0)


def truth(pop: Population) -> dict[str, float]:
    """Population overall and event-study ATTs (adults as weights)."""
    size = pop.size.astype(float)
    share = {g: size[pop.cohort == g].sum() for g in DELTA}
    att = {}
    for g in DELTA:
        mask = pop.cohort == g
        for t in WAVES[1:]:
            eff = programme_effect(pop, t)
            att[(g, t)] = float(np.average(eff[mask], weights=size[mask]))
    post = [(g, t) for (g, t) in att if t >= g]
    overall = sum(share[g] * att[g, t] for g, t in post) / sum(share[g] for g, t in post)
    out = {"overall": overall}
    for e in range(-2, 3):
        cells = [(g, t) for (g, t) in att if t - g == e]
        out[f"event_{e}"] = sum(share[g] * att[g, t] for g, t in cells) / sum(
            share[g] for g, t in cells
        )
    return out


def draw_sample(
    pop: Population, rng: np.random.Generator, take: int = TAKE_COMMUNITY
) -> pd.DataFrame:
    parts = []
    rid = 0
    for h in range(N_STRATA):
        chosen = rng.choice(np.flatnonzero(pop.stratum == h), take, replace=False)
        for c in chosen:
            for t in WAVES:
                eff = programme_effect(pop, t)[c]
                y = pop.effect[c] + 0.25 * t + eff + rng.normal(0, 1.0, TAKE_ADULTS)
                parts.append(
                    pd.DataFrame(
                        {
                            "stratum": h,
                            "community": c,
                            "rid": np.arange(rid, rid + TAKE_ADULTS),
                            "wave": t,
                            "cohort": float(pop.cohort[c]),
                            "y": y,
                            "n_communities": float(N_COMMUNITY),
                            "size": float(pop.size[c]),
                            "w": (N_COMMUNITY / take) * pop.size[c] / TAKE_ADULTS,
                        }
                    )
                )
                rid += TAKE_ADULTS
    return pd.concat(parts, ignore_index=True)


def twfe(df: pd.DataFrame) -> tuple[float, float]:
    """Weighted ``y ~ community + wave + treated`` and its cluster-robust SE (by community)."""
    treated = ((df["cohort"] > 0) & (df["wave"] >= df["cohort"])).astype(float).to_numpy()
    com = pd.factorize(df["community"])[0]
    wav = pd.factorize(df["wave"], sort=True)[0]
    x = np.column_stack([treated, np.eye(com.max() + 1)[com], np.eye(wav.max() + 1)[wav][:, 1:]])
    w = df["w"].to_numpy() / df["w"].mean()
    y = df["y"].to_numpy()
    ainv = np.linalg.pinv((x * w[:, None]).T @ x)
    beta = ainv @ (x * w[:, None]).T @ y
    resid = y - x @ beta
    scores = np.zeros((com.max() + 1, x.shape[1]))
    np.add.at(scores, com, x * (w * resid)[:, None])
    g = com.max() + 1
    cov = g / (g - 1) * ainv @ scores.T @ scores @ ainv
    return float(beta[0]), float(np.sqrt(cov[0, 0]))


def simulate(pop: Population, reps: int, seed: int, take: int = TAKE_COMMUNITY) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    true = truth(pop)
    keys = list(true)
    est: dict[str, list[float]] = {k: [] for k in keys}
    ses: dict[str, list[float]] = {k: [] for k in keys}
    cover: dict[str, list[bool]] = {k: [] for k in keys}
    tw_est, tw_cover = [], []
    for _ in range(reps):
        df = draw_sample(pop, rng, take)
        design = SurveyDesign(
            df,
            ids=["community", "rid"],
            strata="stratum",
            fpc=["n_communities", "size"],
            weights="w",
            nest=True,
        )
        res = did_staggered(design, "y", cohort="cohort", wave="wave", community="community")
        rows = {"overall": res[res["type"] == "overall"].iloc[0]}
        for _, r in res[res["type"] == "event"].iterrows():
            rows[f"event_{int(r['event_time'])}"] = r
        for k in keys:
            r = rows[k]
            est[k].append(float(r["estimate"]))
            ses[k].append(float(r["se"]))
            cover[k].append(bool(r["ci_low"] <= true[k] <= r["ci_high"]))
        b, se = twfe(df)
        tw_est.append(b)
        q = stats.t.ppf(0.975, df["community"].nunique() - 1)
        tw_cover.append(bool(b - q * se <= true["overall"] <= b + q * se))
    out: dict[str, Any] = {
        "reps": reps,
        "seed": seed,
        "communities_per_stratum": take,
        "truth": true,
        "did_staggered": {},
    }
    for k in keys:
        e = np.asarray(est[k])
        out["did_staggered"][k] = {
            "coverage": float(np.mean(cover[k])),
            "bias": float(e.mean() - true[k]),
            "mc_se": float(e.std(ddof=1) / np.sqrt(reps)),
            "mean_se_over_sd": float(np.mean(ses[k]) / e.std(ddof=1)),
        }
    tw = np.asarray(tw_est)
    out["twfe"] = {
        "mean": float(tw.mean()),
        "bias": float(tw.mean() - true["overall"]),
        "mc_se": float(tw.std(ddof=1) / np.sqrt(reps)),
        "coverage_of_overall_att": float(np.mean(tw_cover)),
    }
    return out


def checks(out: dict[str, Any], tolerance: float = 0.02) -> dict[str, bool]:
    ok = {
        f"coverage_{k}": abs(v["coverage"] - 0.95) <= tolerance
        for k, v in out["did_staggered"].items()
    }
    tw = out["twfe"]
    ok["twfe_biased"] = abs(tw["bias"]) > 3 * tw["mc_se"]
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument(
        "--take", type=int, default=TAKE_COMMUNITY, help="communities sampled per stratum"
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "_results" / "sim_staggered.json"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    out = simulate(make_population(), args.reps, args.seed, args.take)
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["checks"] = checks(out)
    text = json.dumps(out, indent=1)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0 if all(out["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())

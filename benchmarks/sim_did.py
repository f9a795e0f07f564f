"""Validity of ``trustsurvey.did`` by simulation from a fixed finite population.

A synthetic population is drawn once (seeded) and held fixed: 8 raions (3 pilot, 5 control)
with fixed raion effects; 80 settlements per raion with fixed sizes (households), fixed
settlement effects and settlement x wave shocks; households with 1-4 adults, each adult with
a fixed answer (1-5 Likert, rounded latent trust) at baseline and at follow-up; the programme
raises latent trust in pilot raions at follow-up. The estimand is **that population's** DiD of
mean answers over adults, ``(P1 - P0) - (C1 - C0)``.

Each replication redraws the sample by the study's design, independently per wave (two
cross-sections): strata = wave x raion; 8 settlements per raion by randomised systematic PPS
on households; 10 households per settlement by simple random sampling; one adult per
household (Kish). Weight = 1 / (pi_settlement * pi_household) * adults. The DiD is estimated
with ``trustsurvey.did`` on ``SurveyDesign(ids=psu, strata=stratum, weights=w, nest=True)``.
Checked: the 95% interval covers the population DiD in 95% +- 2% of replications, and the
mean estimate is within 3 Monte-Carlo SEs of it (unbiased).

Run:  .venv/bin/python benchmarks/sim_did.py [--reps 1000] [--seed 20261122] [--out FILE]
Prints the result as JSON (and writes it to --out, default
benchmarks/_results/sim_did.json); exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trustsurvey import did
from trustsurvey.design import SurveyDesign

N_RAION, PILOT_RAIONS = 8, (0, 1, 2)
N_SETTLEMENT, TAKE_PSU, TAKE_HH = 80, 8, 10
EFFECT = 0.35


@dataclass
class Population:
    """The fixed finite population: one row per adult, households and settlements indexed."""

    settlement_raion: np.ndarray  # per settlement
    settlement_size: np.ndarray  # households per settlement
    hh_start: np.ndarray  # first household index of each settlement
    hh_adults: np.ndarray  # adults per household
    adult_start: np.ndarray  # first adult index of each household
    y: np.ndarray  # (adults, 2): answer at baseline and follow-up
    pilot: np.ndarray  # per settlement 0/1

    def did(self) -> float:
        """The population DiD of mean answers over adults."""
        adult_settlement = np.repeat(
            np.repeat(np.arange(len(self.settlement_size)), self.settlement_size), self.hh_adults
        )
        p = self.pilot[adult_settlement] == 1
        m = [[self.y[arm, w].mean() for w in (0, 1)] for arm in (~p, p)]
        return (m[1][1] - m[1][0]) - (m[0][1] - m[0][0])


def make_population(seed: int) -> Population:
    rng = np.random.default_rng(seed)
    n_s = N_RAION * N_SETTLEMENT
    raion = np.repeat(np.arange(N_RAION), N_SETTLEMENT)
    pilot = np.isin(raion, PILOT_RAIONS).astype(int)
    size = np.clip(np.round(rng.lognormal(np.log(120), 0.6, n_s)), 30, 600).astype(int)
    hh_start = np.concatenate([[0], np.cumsum(size)[:-1]])
    n_hh = int(size.sum())
    adults = rng.choice([1, 2, 3, 4], size=n_hh, p=[0.3, 0.45, 0.17, 0.08])
    adult_start = np.concatenate([[0], np.cumsum(adults)[:-1]])
    n_ad = int(adults.sum())
    raion_eff = rng.normal(0, 0.35, N_RAION)
    settle_eff = rng.normal(0, 0.3, n_s)
    settle_wave = rng.normal(0, 0.15, (n_s, 2))
    adult_settlement = np.repeat(np.repeat(np.arange(n_s), size), adults)
    person = rng.normal(0, 0.5, n_ad)
    latent = np.empty((n_ad, 2))
    for w in (0, 1):
        latent[:, w] = (
            3.0
            + raion_eff[raion[adult_settlement]]
            + settle_eff[adult_settlement]
            + settle_wave[adult_settlement, w]
            + 0.1 * w
            + EFFECT * w * pilot[adult_settlement]
            + person
            + rng.normal(0, 0.8, n_ad)
        )
    y = np.clip(np.round(latent), 1, 5)
    return Population(raion, size, hh_start, adults, adult_start, y, pilot)


def _systematic_pps(rng: np.random.Generator, sizes: np.ndarray, n: int) -> np.ndarray:
    """Randomised systematic PPS: random order, random start, step = total / n."""
    order = rng.permutation(len(sizes))
    cum = np.cumsum(sizes[order])
    step = cum[-1] / n
    points = rng.uniform(0, step) + step * np.arange(n)
    return order[np.searchsorted(cum, points, side="right")]


def draw_sample(pop: Population, rng: np.random.Generator) -> pd.DataFrame:
    """One replication's two cross-sections as a respondent frame."""
    parts = []
    for wave in (0, 1):
        for r in range(N_RAION):
            settlements = np.flatnonzero(pop.settlement_raion == r)
            sizes = pop.settlement_size[settlements]
            chosen = settlements[_systematic_pps(rng, sizes, TAKE_PSU)]
            pi1 = TAKE_PSU * pop.settlement_size[chosen] / sizes.sum()
            for s, p1 in zip(chosen, pi1, strict=True):
                size = pop.settlement_size[s]
                hh = pop.hh_start[s] + rng.choice(size, TAKE_HH, replace=False)
                k = pop.hh_adults[hh]
                adult = pop.adult_start[hh] + rng.integers(0, k)
                parts.append(
                    pd.DataFrame(
                        {
                            "wave": wave + 1,
                            "stratum": (wave + 1) * 100 + r,
                            "psu": s,
                            "pilot": pop.pilot[s],
                            "y": pop.y[adult, wave],
                            "w": k / (p1 * TAKE_HH / size),
                        }
                    )
                )
    return pd.concat(parts, ignore_index=True)


def simulate(reps: int = 1000, seed: int = 20261122) -> dict:
    """Run ``reps`` replications; return the coverage, bias and their Monte-Carlo SEs."""
    pop = make_population(seed)
    truth = pop.did()
    rng = np.random.default_rng(seed + 1)
    est, low, high = np.empty(reps), np.empty(reps), np.empty(reps)
    t0 = time.perf_counter()
    for i in range(reps):
        sample = draw_sample(pop, rng)
        design = SurveyDesign(sample, ids="psu", strata="stratum", weights="w", nest=True)
        res = did(design, "y")
        est[i], low[i], high[i] = res.loc[0, ["estimate", "ci_low", "ci_high"]]
    covered = (low <= truth) & (truth <= high)
    coverage = float(covered.mean())
    mc_se_cov = float(np.sqrt(0.95 * 0.05 / reps))
    bias = float(est.mean() - truth)
    mc_se_bias = float(est.std(ddof=1) / np.sqrt(reps))
    return {
        "reps": reps,
        "seed": seed,
        "population_did": float(truth),
        "mean_estimate": float(est.mean()),
        "bias": bias,
        "bias_mc_se": mc_se_bias,
        "sd_estimate": float(est.std(ddof=1)),
        "mean_ci_halfwidth": float(np.mean((high - low) / 2)),
        "coverage": coverage,
        "coverage_mc_se": mc_se_cov,
        "coverage_ok": bool(abs(coverage - 0.95) <= 0.02),
        "unbiased_ok": bool(abs(bias) <= 3 * mc_se_bias),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "_results" / "sim_did.json"
    )
    args = parser.parse_args(argv)
    result = simulate(args.reps, args.seed)
    text = json.dumps(result, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    return 0 if result["coverage_ok"] and result["unbiased_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Pre-trend sensitivity bounds against ``honestdid`` 0.1.1 (Python port of R's HonestDiD).

Expected numbers: tests/fixtures/staggered/honest_reference.json, written by
tests/fixtures/staggered/make_honest_reference.py on the event study of ``did_staggered``
(``base_period="universal"``) of ``simulated_rc.csv``: estimates, covariance, and the port's
identified sets (relative magnitudes and smoothness) and smoothness FLCIs.

* Identified sets: the same linear programs, to 1e-6. Where the pre-adoption estimates
  themselves break ``Delta^SD(M)`` (``M`` below their second difference, 0.241 here) the
  set is empty: we return NaN, the port warns and returns ``l' beta_post``.
* FLCI: the port searches a grid of 100 standard-deviation bounds and simulates the folded
  normal quantile (10^6 draws); we minimise the half-length directly with the exact
  quantile. Ours is never longer and within 1% of the port's; the port's optimal weights,
  scored with the exact quantile, give an interval no shorter than ours.
* Relative magnitudes, conditional-least-favourable hybrid (the port's
  ``computeConditionalCS_DeltaRM`` defaults; the script shims the port's ``float`` for
  NumPy 2.4): the same grid (1,000 points on ``+/- 20 sd(l' beta_post)``), the same seeded
  draws for the least-favourable critical value, so the same grid points are accepted:
  lowest and highest accepted ``theta`` to relative 1e-6 and the same number accepted,
  for the average effect at Mbar = 0, 0.5, 1, 2, and (``rm_cases``) for one post-adoption
  period (the test without nuisance parameters) and for the effect at event time 1.
  The projection interval (``method="projection"``) is checked to contain the identified
  set.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trustsurvey.analysis.honest import (
    _sd_parametrisation,
    flci_sd,
    folded_normal_quantile,
    honest_bounds,
    identified_set,
)
from trustsurvey.analysis.honest_rm import rm_grid

REF = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "staggered" / "honest_reference.json").read_text()
)
BETA = np.array(REF["beta"])
SIGMA = np.array(REF["sigma"])
NPRE = REF["num_pre"]
LVEC = np.array(REF["l_vec"])


@pytest.mark.parametrize("row", REF["rm"], ids=lambda r: f"Mbar={r['m']}")
def test_relative_magnitudes_identified_set(row):
    lo, hi = identified_set(BETA, NPRE, "rm", row["m"], LVEC)
    assert lo == pytest.approx(row["id_low"], rel=1e-6, abs=1e-12)
    assert hi == pytest.approx(row["id_high"], rel=1e-6, abs=1e-12)
    res = honest_bounds(
        BETA, SIGMA, num_pre=NPRE, restriction="rm", m=[row["m"]], method="projection"
    ).iloc[0]
    assert res["ci_low"] < lo <= hi < res["ci_high"]


@pytest.mark.parametrize("row", REF["rm"], ids=lambda r: f"Mbar={r['m']}")
def test_relative_magnitudes_conditional_lf_interval(row):
    grid, accept = rm_grid(BETA, SIGMA, NPRE, row["m"], LVEC)
    lb, ub, points = row["LF_grid"]
    assert len(grid) == points
    assert (grid[0], grid[-1]) == pytest.approx((lb, ub), rel=1e-12)
    assert int(accept.sum()) == row["LF_accepted"]
    assert grid[accept].min() == pytest.approx(row["LF_low"], rel=1e-6)
    assert grid[accept].max() == pytest.approx(row["LF_high"], rel=1e-6)
    lo, hi = identified_set(BETA, NPRE, "rm", row["m"], LVEC)
    assert grid[accept].min() < lo <= hi < grid[accept].max()


@pytest.mark.parametrize("row", REF["sd"], ids=lambda r: f"M={r['m']}")
def test_smoothness_identified_set_and_flci(row):
    lo, hi = identified_set(BETA, NPRE, "sd", row["m"], LVEC)
    if row["m"] < 0.241:
        assert np.isnan(lo) and np.isnan(hi)
        assert row["id_low"] == row["id_high"] == pytest.approx(float(LVEC @ BETA[NPRE:]))
    else:
        assert lo == pytest.approx(row["id_low"], rel=1e-6)
        assert hi == pytest.approx(row["id_high"], rel=1e-6)
    ours = flci_sd(BETA, SIGMA, NPRE, row["m"], LVEC)
    theirs = (row["flci_high"] - row["flci_low"]) / 2
    assert ours["half_length"] <= theirs * (1 + 1e-6)
    assert ours["half_length"] >= theirs * 0.99
    v = np.array(row["flci_v"])
    _, pmat = _sd_parametrisation(NPRE, len(BETA) - NPRE)
    sd = float(np.sqrt(v @ SIGMA @ v))
    exact = folded_normal_quantile(0.95, row["m"] * np.abs(pmat.T @ v).sum() / sd) * sd
    assert exact >= ours["half_length"] * (1 - 1e-9)
    centre = (row["flci_low"] + row["flci_high"]) / 2
    assert centre == pytest.approx(float(v @ BETA), rel=1e-6)


@pytest.mark.parametrize(
    "case",
    REF["rm_cases"],
    ids=lambda c: f"coefs={c['n_coef']}-l={c['l_vec']}-Mbar={c['m']}",
)
def test_relative_magnitudes_conditional_lf_other_targets(case):
    """One post-adoption period (test without nuisance parameters) and event time 1."""
    n = case["n_coef"]
    grid, accept = rm_grid(BETA[:n], SIGMA[:n, :n], NPRE, case["m"], np.array(case["l_vec"]))
    lb, ub, points = case["LF_grid"]
    assert (grid[0], grid[-1], len(grid)) == pytest.approx((lb, ub, points), rel=1e-12)
    assert int(accept.sum()) == case["LF_accepted"]
    assert grid[accept].min() == pytest.approx(case["LF_low"], rel=1e-6)
    assert grid[accept].max() == pytest.approx(case["LF_high"], rel=1e-6)

"""Rubin's rules against R on the same completed data sets.

Reference: tests/fixtures/r_mi/mi_reference.json, made by tests/fixtures/r_mi/mi_combine.R
(R's ``survey`` on ``svydesign(data = imputationList(...))``, ``mitools::MIcombine`` with
``df.complete``, and ``mice::pool.scalar`` for the Barnard-Rubin df) from
tests/fixtures/r_mi/imputed.csv, which tests/fixtures/r_mi/make_imputed.py wrote with
``trustsurvey.analysis.impute`` (seed 20261204).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis import ImputedDesigns, impute, mi_combine
from trustsurvey.design import SurveyDesign

HERE = Path(__file__).parents[1] / "fixtures" / "r_mi"
R = json.loads((HERE / "mi_reference.json").read_text())
RTOL = 1e-6


def close(actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=RTOL)


def designs() -> list[SurveyDesign]:
    stacked = pd.read_csv(HERE / "imputed.csv")
    out = []
    for _, d in stacked.groupby("imp", sort=True):
        d = d.reset_index(drop=True).assign(high=lambda f: (f["y"] >= 4).astype(float))
        out.append(SurveyDesign(d, ids="psu", strata="stratum", weights="w"))
    return out


def imputed() -> ImputedDesigns:
    ds = designs()
    flags = pd.DataFrame({"y": ds[0].data["y_missing"].astype(bool)})
    return ImputedDesigns(tuple(ds), ("y",), flags)


ESTIMATORS = {
    "mean_y": lambda d: d.mean("y"),
    "mean_high": lambda d: d.mean("high"),
    "share_y": lambda d: d.proportion("y"),
    "glm_y_x": lambda d: d.glm("y ~ x"),
    "mean_y_by_stratum": lambda d: d.mean("y", by="stratum"),
}


@pytest.mark.parametrize("key", sorted(ESTIMATORS))
def test_completed_data_analyses_agree_with_r(key):
    r = R[key]
    for i, d in enumerate(designs()):
        res = ESTIMATORS[key](d)
        close(res["estimate"], r["estimates"][f"imp{i + 1}"])
        close(res["se"], r["ses"][f"imp{i + 1}"])


@pytest.mark.parametrize("key", sorted(ESTIMATORS))
def test_mitools_rule_agrees_with_micombine(key):
    r = R[key]
    out = imputed().analyse(ESTIMATORS[key], rule="mitools")
    close(out["estimate"], r["estimate"])
    close(out["se"], r["se"])
    close(out["df"], r["df"])
    close(out["fmi"], r["missinfo"])
    close(out["ci_low"], r["ci_low"])
    close(out["ci_high"], r["ci_high"])


@pytest.mark.parametrize("key", sorted(ESTIMATORS))
def test_barnard_rubin_rule_agrees_with_mice_pool(key):
    r = R[key]
    out = imputed().analyse(ESTIMATORS[key])
    close(out["estimate"], r["estimate"])
    close(out["se"], r["br_se"])
    close(out["df"], r["br_df"])
    close(out["fmi"], r["br_fmi"])
    close(out["riv"], r["br_riv"])


def test_default_complete_df_is_the_design_df():
    """R's calls pass the design df (a model: its residual df) as df.complete."""
    ds = designs()
    assert R["mean_y"]["df_complete"] == ds[0].degf
    assert R["glm_y_x"]["df_complete"] == ds[0].glm("y ~ x")["df"].iloc[0]
    given = mi_combine([d.mean("y") for d in ds], df_complete=ds[0].degf, rule="mitools")
    close(given["df"], R["mean_y"]["df"])


def test_the_fixture_has_unequal_weights_strata_clusters_and_a_large_design_effect():
    d = designs()[0]
    assert d.weights.nunique() > 100
    assert d.structure.stages[0].n_strata == 2 and d.structure.stages[0].n_units == 16
    assert d.mean("y")["deff"].iloc[0] > 10


def test_the_imputed_sets_are_what_impute_makes_with_the_seed():
    """The fixture is reproducible: impute(..., seed=20261204) on the simulated data."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_imputed", HERE / "make_imputed.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    data = mod.simulate()
    design = SurveyDesign(data, ids="psu", strata="stratum", weights="w")
    again = impute(design, ["y", "x"], m=5, seed=mod.SEED)
    for i, d in enumerate(designs()):
        close(again.completed(i)["y"], d.data["y"])
        close(again.completed(i)["x"], d.data["x"])

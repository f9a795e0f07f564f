"""The NCHS Data Presentation Standards for Proportions as a reliability rule of publish:."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.errors import PublishError
from trustsurvey.publish.nchs import (
    apply_reliability_rule,
    binary_outcomes,
    effective_n,
    korn_graubard,
    nchs_proportions,
)
from trustsurvey.publish.policy import DisclosurePolicy

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_korn_graubard_interval_is_r_svyciprop_beta():
    # svyciprop(~I(sch.wide == "Yes"), subset(dclus1, stype == "M"), method = "beta"):
    # 25 schools in 12 districts (df 11); its effective sample size (18) is below n, so the
    # NCHS cap does not bind and the interval is R's
    r = json.loads((FIX / "r_extra" / "extra_reference.json").read_text())
    ref = r["clus1_ciprop_beta_domain_M"]
    lo, hi = korn_graubard(
        np.array([ref["estimate"]]), np.array([ref["se"]]), np.array([25.0]), np.array([11.0])
    )
    np.testing.assert_allclose([lo[0], hi[0]], ref["ci"], rtol=1e-9)


def test_the_adjusted_size_is_capped_after_the_df_adjustment():
    # svyciprop(~I(sch.wide == "Yes"), dclus1, method = "beta"): effective size 265 of 183
    # rows, 224 after the df adjustment (14 df): NCHS caps it at 183, R does not
    from scipy import stats

    r = json.loads((FIX / "r_extra" / "extra_reference.json").read_text())
    ref = r["clus1_ciprop_beta"]
    p, se = ref["estimate"], ref["se"]
    lo, hi = korn_graubard(np.array([p]), np.array([se]), np.array([183.0]), np.array([14.0]))
    m = 183.0
    want = (
        stats.beta.ppf(0.025, m * p, m * (1 - p) + 1),
        stats.beta.ppf(0.975, m * p + 1, m * (1 - p)),
    )
    np.testing.assert_allclose([lo[0], hi[0]], want, rtol=1e-12)
    assert hi[0] - lo[0] > ref["ci"][1] - ref["ci"][0]  # R's larger size gives a narrower one


def test_effective_n_is_capped_at_n_and_n_at_the_boundaries():
    p = np.array([0.5, 0.5, 0.0, 1.0])
    se = np.array([0.05, 0.001, 0.0, 0.0])
    n = np.array([400.0, 400.0, 50.0, 60.0])
    np.testing.assert_allclose(effective_n(p, se, n), [100.0, 400.0, 50.0, 60.0])


@pytest.mark.parametrize(
    "p,se,n,df,suppress,review,reason",
    [
        # n_eff = .25 / .02^2 = 625; Korn-Graubard width 0.08, relative 16%: shown
        (0.5, 0.02, 1000, 60, False, False, ""),
        # n_eff = .25 / .1^2 = 25 < 30: suppressed whatever the interval
        (0.5, 0.1, 1000, 60, True, False, "effective_n"),
        # a share of 4% (n_eff 96) with width 0.09: relative width 230% > 130%
        (0.04, 0.02, 400, 60, True, False, "relative_width"),
        # n_eff = 36 but the KG interval is wider than 0.30
        (0.5, 0.0833, 500, 60, True, False, "width"),
        # narrow interval (< 0.05): shown even with a large relative width
        (0.01, 0.002, 5000, 60, False, False, ""),
        # shown, but the design has fewer than 8 degrees of freedom
        (0.3, 0.02, 800, 5, False, True, "df"),
        # no respondent said yes: shown, to be reviewed, even where n is small...
        (0.0, 0.0, 400, 60, False, True, "boundary"),
        (0.0, 0.0, 40, 60, False, True, "boundary"),
        # ...but not below 30
        (1.0, 0.0, 25, 60, True, False, "effective_n"),
        # 93%: its complement (7%) has a relative width above 130%
        (0.93, 0.025, 500, 60, False, True, "complement"),
    ],
)
def test_decisions(p, se, n, df, suppress, review, reason):
    t = nchs_proportions([p], [se], [n], [df]).iloc[0]
    assert (bool(t["suppress"]), bool(t["review"]), t["reason"]) == (suppress, review, reason)


def test_policy_setting():
    assert DisclosurePolicy().reliability_rule == "cv"
    pol = DisclosurePolicy.from_settings({"reliability_rule": "nchs"})
    assert pol.to_dict()["reliability_rule"] == "nchs"
    with pytest.raises(PublishError, match="reliability_rule"):
        DisclosurePolicy(reliability_rule="strict")


def _published() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "outcome": ["yes_no", "yes_no", "yes_no", "score", "score"],
            "wave": [1, 1, 2, 1, 2],
            "estimate": [0.5, 0.04, 0.3, 3.2, 3.0],
            "se": [0.02, 0.02, 0.02, 0.05, 1.5],
            "ci_low": [0.46, 0.0, 0.26, 3.1, 0.0],
            "ci_high": [0.54, 0.08, 0.34, 3.3, 6.0],
            "df": [60.0, 60.0, 5.0, 60.0, 60.0],
            "deff": [1.5, 1.2, 1.1, 2.0, 2.0],
            "n": [1000, 400, 800, 500, 40],
            "cv": [0.04, 0.5, 0.07, 0.016, 0.5],
            "unreliable": [False, True, False, False, True],
            "suppressed": [False, False, False, False, False],
            "suppression_reason": [None, None, None, None, None],
        }
    )


def test_nchs_rule_replaces_the_cv_rule_for_proportions_only():
    tables = {"estimates": _published()}
    out = apply_reliability_rule(tables, DisclosurePolicy(reliability_rule="nchs"), {"yes_no"})
    est = out["estimates"]
    # the 4% share: relative width > 130%: hidden, reason unreliable, n kept
    assert bool(est.at[1, "suppressed"]) and est.at[1, "suppression_reason"] == "unreliable"
    assert est.loc[1, ["estimate", "se", "ci_low", "ci_high", "cv"]].isna().all()
    assert est.at[1, "n"] == 400
    # df < 8: shown and flagged for review
    assert bool(est.at[2, "unreliable"]) and not bool(est.at[2, "suppressed"])
    # the means keep their CV flags
    assert est["unreliable"].tolist()[3:] == [False, True]
    # the input is not changed
    assert tables["estimates"]["suppressed"].sum() == 0


def test_cv_rule_leaves_tables_as_they_are():
    tables = {"estimates": _published()}
    out = apply_reliability_rule(tables, DisclosurePolicy(), {"yes_no"})
    pd.testing.assert_frame_equal(out["estimates"], tables["estimates"])


def test_binary_outcomes_from_the_scales():
    meta = {"labels": {"scale": {"a": {"binary": True}, "b": {"binary": False}}}}
    assert binary_outcomes(meta) == {"a"}
    assert binary_outcomes({}) == set()


def test_docstring_examples():
    import doctest

    import trustsurvey.publish.nchs as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_rows_hidden_as_unreliable_before_are_not_kept_hidden_as_complements():
    from trustsurvey.publish.nchs import without_unreliable

    before = _published()
    before.loc[1, ["suppressed", "suppression_reason"]] = [True, "unreliable"]
    before.loc[4, ["suppressed", "suppression_reason"]] = [True, "small_cell"]
    out = without_unreliable({"estimates": before})
    assert out is not None
    est = out["estimates"]
    assert est["suppression_reason"].tolist()[1] is None and not est.at[1, "suppressed"]
    assert est.at[4, "suppression_reason"] == "small_cell" and est.at[4, "suppressed"]
    assert without_unreliable(None) is None

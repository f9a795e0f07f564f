"""The non-response bounds cannot give away what the estimates hide.

A bounds row reveals its cell's mean of the answerers (``(lower - share·low) / (1 - share)``)
and, with equal weights, the number answering (``n_missing · (1 - share) / share``). So a
bounds row is published only where the estimate of the same outcome and cell is published
with its n: hidden with a suppressed estimate (small or complementary), with a withheld n,
and where there is no estimate; its own count, the non-answerers, obeys the small-cell rule.
Checked on the synthetic study's tables through the disclosure protection the bundle writer
runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.publish.fixture import synthetic_tables
from trustsurvey.publish.normalize import normalize_table
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.schema import ALL, KINDS
from trustsurvey.publish.suppression import protect_tables

POLICY = DisclosurePolicy()
KEYS = ["outcome", "community", "arm", "wave"]
VALUES = [c for c in KINDS["nonresponse_bounds"].values if c != "n_missing"]


def tables(seed: int) -> dict[str, pd.DataFrame]:
    raw = synthetic_tables(seed=seed)
    est = raw["estimates"].copy()
    whole = est["subgroup"].isna()
    assert (est.loc[whole, "n"] < POLICY.min_cell).any()  # some estimates are small cells
    rng = np.random.default_rng(seed)
    bounds = est.loc[whole, ["community", "arm", "wave", "outcome", "estimate", "n"]].copy()
    share = rng.uniform(0.05, 0.2, len(bounds))
    bounds = bounds.assign(
        answered=bounds["estimate"],
        lower=(1 - share) * bounds["estimate"] + share * 1,
        upper=(1 - share) * bounds["estimate"] + share * 5,
        share_missing=share,
        scale_low=1.0,
        scale_high=5.0,
        # a share of the answering n: some counts small, most not
        n_missing=np.floor(bounds["n"] * rng.choice([0.05, 0.3, 0.45], len(bounds))),
    ).drop(columns=["estimate", "n"])
    # margins add up: an arm's count is the sum of its communities', the total of all
    parts = bounds[bounds["community"] != ALL]
    for (outcome, wave), cell in parts.groupby(["outcome", "wave"]):
        at = (bounds["outcome"] == outcome) & (bounds["wave"] == wave)
        at &= bounds["community"] == ALL
        for arm, sub in cell.groupby("arm"):
            bounds.loc[at & (bounds["arm"] == arm), "n_missing"] = sub["n_missing"].sum()
        bounds.loc[at & (bounds["arm"] == ALL), "n_missing"] = cell["n_missing"].sum()
    # a bounds row of a cell without an estimate
    extra = bounds.iloc[[0]].assign(wave=9)
    bounds = pd.concat([bounds, extra], ignore_index=True)
    out = {k: normalize_table(k, v) for k, v in raw.items() if k in ("sample_sizes", "likert")}
    out["estimates"] = normalize_table("estimates", est)
    out["nonresponse_bounds"] = normalize_table("nonresponse_bounds", bounds)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bounds_are_published_only_beside_a_published_estimate_and_its_n(seed):
    published, audit = protect_tables(tables(seed), POLICY)
    assert not audit["exposed"].any()
    est, nb = published["estimates"], published["nonresponse_bounds"]
    whole = est[(est["subgroup"] == ALL) & (est["level"] == ALL)]
    shown_est = whole[~whole["suppressed"] & whole["suppression_reason"].isna()]
    shown = nb[~nb["suppressed"]]
    assert len(shown) > 0
    merged = shown[KEYS].merge(shown_est[KEYS], on=KEYS, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (shown["n_missing"] >= POLICY.min_cell).all()
    given = ["answered", "lower", "upper", "share_missing", "scale_low", "scale_high"]
    assert shown[given].notna().all().all()
    # every hidden row is blank: neither the share nor the bounds give anything back
    hidden = nb[nb["suppressed"]]
    assert hidden[[*VALUES, "n_missing"]].isna().all().all()
    hidden_est = whole[whole["suppressed"] | whole["suppression_reason"].notna()]
    assert len(hidden_est) > 0
    leak = nb.merge(hidden_est[KEYS], on=KEYS)
    assert leak[["lower", "upper", "share_missing", "answered"]].isna().all().all()


def test_a_small_estimate_hides_its_bounds_and_no_estimate_means_no_bounds():
    published, _ = protect_tables(tables(1), POLICY)
    nb = published["nonresponse_bounds"]
    est = published["estimates"]
    small = est[(est["suppression_reason"] == "small_cell") & (est["subgroup"] == ALL)]
    row = nb.merge(small[KEYS], on=KEYS)
    assert len(row) and row["suppressed"].all()
    assert set(row["suppression_reason"]) <= {"complementary", "small_cell"}
    orphan = nb[nb["wave"] == 9]
    assert orphan["suppressed"].all() and orphan["lower"].isna().all()


def test_the_non_answer_count_times_the_share_reveals_no_small_count():
    """``n_missing`` below the threshold is blanked with the row; a published row's count
    is at least the threshold, so no product of published numbers gives a small count."""
    published, _ = protect_tables(tables(2), POLICY)
    nb = published["nonresponse_bounds"]
    small = nb[nb["suppression_reason"] == "small_cell"]
    assert len(small) and small[["n_missing", "share_missing"]].isna().all().all()
    shown = nb[~nb["suppressed"]]
    answering = shown["n_missing"] * (1 - shown["share_missing"]) / shown["share_missing"]
    assert (answering >= POLICY.min_cell).all()

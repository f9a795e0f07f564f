"""The wild cluster bootstrap against ``wildboottest`` (Python port of R's
``fwildclusterboot``).

Expected numbers: tests/fixtures/staggered/wild_reference.json, written by
tests/fixtures/staggered/make_wild_reference.py (``wildboottest`` 0.3.2, WCR11,
Rademacher weights fully enumerated, on tests/fixtures/staggered/wild_data.csv).

* ``t``: the port multiplies the cluster-robust variance by ``(n-1)/(n-k)`` as well as
  ``G/(G-1)``; ours (the design-based variance with communities as PSUs) only by
  ``G/(G-1)``, so the port's t is ours divided by ``sqrt((n-1)/(n-k))`` (the factor scales
  every bootstrap t alike, so p-values and intervals do not depend on it).
* ``p``: the port counts ``|t*| > |t|``, we count ``|t*| >= |t|`` (boottest's convention);
  the sign vectors all ones and all minus ones reproduce ``t`` exactly, so ours is the
  port's or, where its rounding left those two out, the port's plus ``2 / 2^G``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis.few_clusters import wild_bootstrap_did
from trustsurvey.design import SurveyDesign

HERE = Path(__file__).parent.parent / "fixtures" / "staggered"
REFERENCE = json.loads((HERE / "wild_reference.json").read_text())
DATA = pd.read_csv(HERE / "wild_data.csv")


@pytest.mark.parametrize(
    "case", REFERENCE, ids=[f"{r['case']}-{'+'.join(r['covariates']) or '1'}" for r in REFERENCE]
)
def test_wcr_matches_wildboottest(case):
    df = DATA[DATA["case"] == case["case"]].reset_index(drop=True)
    df = df.assign(w=1.0, wave=df["post"] + 1)
    design = SurveyDesign(df, ids="com", weights="w")
    res = wild_bootstrap_did(
        design, "y", "treated", "wave", case["covariates"] or None, cluster="com", reps=99999
    ).iloc[0]
    n, k, g = len(df), 4 + len(case["covariates"]), df["com"].nunique()
    assert bool(res["enumerated"]) and res["reps"] == 2**g
    assert res["t"] / np.sqrt((n - 1) / (n - k)) == pytest.approx(case["t"], rel=1e-6)
    extra = round((res["p"] - case["p"]) * 2**g)
    assert extra in (0, 2)
    assert res["p"] == pytest.approx(case["p"] + extra / 2**g, abs=1e-12)

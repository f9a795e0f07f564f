"""Training evaluation: paired pre/post (and follow-up) change of test scores.

Per training type: the mean paired change ``d = post - pre`` with its t-based CI and p-value
(pingouin ``ttest(paired=True)``, CI unrounded from ``scipy.stats.ttest_rel``; R
``t.test(post, pre, paired = TRUE)``), the effect size
Hedges' g of the paired scores (pingouin ``compute_effsize(paired=True)``, Hedges & Olkin
1985), and the share of participants whose score improved. Only participants with both tests
are paired; the others are listed by validation (``post_only`` error, ``pre_only`` warning).

>>> import pandas as pd
>>> t = pd.DataFrame({"training_id": ["T"] * 6, "participant": list("aabbcc"),
...                   "phase": ["pre", "post"] * 3, "score": [50, 60, 40, 45, 70, 69]})
>>> acts = pd.DataFrame({"activity_id": ["T"], "type": ["training_police"]})
>>> r = training_effects(t, acts)
>>> r[["type", "comparison", "n", "mean_change", "share_improved"]].values.tolist()
[['training_police', 'post-pre', 3, 4.666666666666667, 0.6666666666666666]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def paired_scores(trainings: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """One row per participant and training: ``type, pre, post, followup`` scores."""
    wide = trainings.pivot_table(
        index=["training_id", "participant"], columns="phase", values="score", aggfunc="first"
    ).reset_index()
    wide.columns.name = None
    types = activities.set_index("activity_id")["type"]
    wide.insert(0, "type", wide["training_id"].map(types))
    return wide


def training_effects(
    trainings: pd.DataFrame, activities: pd.DataFrame, level: float = 0.95
) -> pd.DataFrame:
    """Paired change by training type: ``post-pre`` and, where present, ``followup-pre``."""
    import pingouin as pg

    wide = paired_scores(trainings, activities)
    rows = []
    for kind, part in wide.groupby("type", sort=True):
        for later in ("post", "followup"):
            if later not in part.columns or "pre" not in part.columns:
                continue
            pair = part[["pre", later]].dropna()
            if len(pair) < 2:
                continue
            diff = pair[later] - pair["pre"]
            test = pg.ttest(pair[later], pair["pre"], paired=True, confidence=level)
            # pingouin rounds its CI to 2 decimals: the same t interval, unrounded, from scipy
            ci = stats.ttest_rel(pair[later], pair["pre"]).confidence_interval(level)
            rows.append(
                {
                    "type": kind,
                    "comparison": f"{later}-pre",
                    "n": len(pair),
                    "trainings": int(part.loc[pair.index, "training_id"].nunique()),
                    "mean_pre": float(pair["pre"].mean()),
                    "mean_later": float(pair[later].mean()),
                    "mean_change": float(diff.mean()),
                    "ci_low": float(ci.low),
                    "ci_high": float(ci.high),
                    "t": float(test["T"].iloc[0]),
                    "df": float(test["dof"].iloc[0]),
                    "p_value": float(test["p_val"].iloc[0]),
                    "hedges_g": float(
                        pg.compute_effsize(pair[later], pair["pre"], paired=True, eftype="hedges")
                    ),
                    "share_improved": float(np.mean(diff > 0)),
                }
            )
    return pd.DataFrame(rows)

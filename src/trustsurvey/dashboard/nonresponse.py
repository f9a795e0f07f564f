"""What "difficult to answer" could hide, in words: one sentence per outcome.

From the bundle's ``nonresponse_bounds`` table (worst-case bounds on the mean when the
non-answerers could have given any answer on the scale; Manski 2003): for each outcome, in
the study's order, the row of the latest wave over all communities and arms that is
published, as "“{outcome}” lies between X and Y whatever the non-answerers think". The
outcome's own label names it; yes/no outcomes are in percent. Templates live in
:mod:`trustsurvey.dashboard.translations`.

>>> import pandas as pd
>>> from trustsurvey.publish.fixture import demo_bundle
>>> b = demo_bundle()
>>> first = str(b.tables["estimates"]["outcome"].iloc[0])
>>> b.tables["nonresponse_bounds"] = pd.DataFrame({"outcome": [first],
...     "community": ["all"], "arm": ["all"], "wave": [2], "answered": [3.1], "lower": [2.9],
...     "upper": [3.3], "share_missing": [0.05], "scale_low": [1.0], "scale_high": [5.0],
...     "n_missing": [40], "suppressed": [False]})
>>> found = bounds_sentences(b, "en")[0]
>>> found["lower"], "lies between 2.90 and 3.30 whatever the non-answerers" in found["sentence"]
(2.9, True)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustsurvey.dashboard import views
from trustsurvey.dashboard.numbers import fmt_number
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.schema import ALL


def overall_rows(bundle: Bundle) -> pd.DataFrame:
    """The published rows over all communities and arms, latest wave per outcome, in the
    study's outcome order."""
    df = bundle.tables.get("nonresponse_bounds")
    if df is None or df.empty:
        return pd.DataFrame()
    keep = pd.Series(True, index=df.index)
    for col in ("community", "arm"):
        if col in df.columns:
            keep &= df[col].astype(str) == ALL
    if "suppressed" in df.columns:
        keep &= ~df["suppressed"].fillna(False).astype(bool)
    keep &= df["lower"].notna() & df["upper"].notna()
    rows = df[keep].sort_values("wave", kind="stable").drop_duplicates("outcome", keep="last")
    order = {o: i for i, o in enumerate(views.ordered_outcomes(bundle, "nonresponse_bounds"))}
    rows = rows.assign(_o=rows["outcome"].map(order)).sort_values("_o", kind="stable")
    return rows.drop(columns="_o").reset_index(drop=True)


def bounds_sentence(bundle: Bundle, row: dict[str, Any], lang: str) -> str:
    """The sentence of one bounds row."""
    outcome = views.label(bundle, "outcome", row["outcome"], lang)
    scale = views.scale_of(bundle, row["outcome"]) or {}
    binary = bool(scale.get("binary"))
    k, digits = (100.0, 0) if binary else (1.0, 2)
    lo, hi, est = (
        fmt_number(float(row[c]) * k, lang, digits) for c in ("lower", "upper", "answered")
    )
    if binary:
        lo, hi, est = (t("unit.percent", lang, x=x) for x in (lo, hi, est))
    low = scale.get("min", row.get("scale_low"))
    high = scale.get("max", row.get("scale_high"))
    scale_text = (
        ""
        if binary or low is None or high is None
        else t("bounds.scale", lang, lo=fmt_number(low, lang, 0), hi=fmt_number(high, lang, 0))
    )
    return t(
        "bounds.sentence",
        lang,
        outcome=outcome,
        lo=lo,
        hi=hi,
        share=fmt_number(100.0 * float(row["share_missing"]), lang, 0),
        wave=views.wave_label(bundle, int(row["wave"]), lang),
        est=est,
        scale=scale_text,
    )


def bounds_sentences(bundle: Bundle, lang: str) -> list[dict[str, Any]]:
    """``[{outcome, sentence, lower, upper}]`` for every outcome with published bounds."""
    out = []
    for row in overall_rows(bundle).to_dict("records"):
        out.append(
            {
                "outcome": row["outcome"],
                "sentence": bounds_sentence(bundle, row, lang),
                "lower": float(row["lower"]),
                "upper": float(row["upper"]),
            }
        )
    return out

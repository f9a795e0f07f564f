"""The headline finding of each outcome as a sentence, in Ukrainian and English.

Built from the published difference-in-differences (pilot minus control change; for a
staggered roll-out, the overall effect on the communities after they joined), its 95% CI,
the outcome's scale (``labels.scale`` of the bundle) and the Holm-adjusted p-value over the
outcomes tested (Holm 1979, "A simple sequentially rejective multiple test procedure").
A result is called significant when its CI excludes zero and its adjusted p is below 0.05;
yes/no outcomes are stated in percentage points. Templates live in
:mod:`trustsurvey.dashboard.translations`.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> f = outcome_findings(demo_bundle(), "en")[0]
>>> sorted(f) == ['estimate', 'outcome', 'sentence', 'significant']
True
>>> holm([0.01, 0.04, 0.03])
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from trustsurvey.dashboard import views
from trustsurvey.dashboard.numbers import fmt_count, fmt_number, fmt_p
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle

ALPHA = 0.05


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order (R's ``p.adjust(p, "holm")``)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = round(running, 12)
    return out


def headline_rows(bundle: Bundle) -> pd.DataFrame:
    """One DiD row per outcome (the first contrast published, e.g. unadjusted), in the
    dashboard's outcome order, with ``p_holm`` over the rows that have a p-value."""
    did = bundle.tables.get("did")
    if did is None or did.empty:
        return pd.DataFrame()
    first = did.drop_duplicates("outcome")
    if "contrast" in did.columns:
        contrast = did["contrast"].iloc[0]
        first = did[did["contrast"] == contrast].drop_duplicates("outcome")
    order = {o: i for i, o in enumerate(views.ordered_outcomes(bundle, "did"))}
    first = first.assign(_o=first["outcome"].map(order)).sort_values("_o", kind="stable")
    first = first.drop(columns="_o").reset_index(drop=True)
    p = first["p_value"] if "p_value" in first.columns else pd.Series(float("nan"), first.index)
    ok = p.notna() & first["estimate"].notna()
    adj = pd.Series(float("nan"), index=first.index)
    if ok.any():
        adj[ok] = holm([float(v) for v in p[ok]])
    return first.assign(p_holm=adj, n_tested=int(ok.sum()))


def sentence(
    bundle: Bundle, row: Mapping[str, Any], lang: str, *, with_n: bool = False
) -> tuple[str, bool]:
    """The headline sentence of one DiD row and whether the result is significant; with
    ``with_n`` the number of respondents (or why it is withheld) closes the parenthesis."""
    outcome = views.label(bundle, "outcome", row["outcome"], lang)
    if row.get("estimate") is None or pd.isna(row.get("estimate")):
        status = views.status_text(row, bundle, lang, "did") or t("label.no_data", lang)
        return t("finding.suppressed", lang, outcome=outcome, status=status), False
    scale = views.scale_of(bundle, row["outcome"])
    binary = bool(scale and scale.get("binary"))
    k = 100.0 if binary else 1.0
    est, lo, hi = (float(row[c]) * k for c in ("estimate", "ci_low", "ci_high"))
    digits = 1 if binary else 2
    p_holm, n_tested = row.get("p_holm"), int(row.get("n_tested") or 0)
    significant = (lo > 0 or hi < 0) and (p_holm is None or pd.isna(p_holm) or p_holm < ALPHA)
    if significant:
        key = "finding.up" if est > 0 else "finding.down"
        x = fmt_number(abs(est), lang, digits)
    else:
        key = "finding.ns"
        x = fmt_number(est, lang, digits, sign=True)
    if "did_staggered" in bundle.tables:  # the overall effect of a staggered roll-out
        key = key.replace("finding.", "finding.staggered.")
    if binary:
        size = t("unit.pp", lang, x=x)
    elif scale:
        lo_s, hi_s = (fmt_number(scale[b], lang, 0) for b in ("min", "max"))
        size = t("unit.points", lang, x=x, lo=lo_s, hi=hi_s)
    else:
        size = t("unit.points_plain", lang, x=x)
    ci = t(
        "unit.ci",
        lang,
        lo=fmt_number(lo, lang, digits, sign=True),
        hi=fmt_number(hi, lang, digits, sign=True),
    )
    if p_holm is not None and not pd.isna(p_holm) and n_tested > 1:
        p = t("unit.p_holm", lang, k=n_tested, p=fmt_p(float(p_holm), lang))
    elif row.get("p_value") is not None and not pd.isna(row.get("p_value")):
        p = "; p " + fmt_p(float(row["p_value"]), lang)  # the same symbol in both languages
    else:
        p = ""
    if with_n:
        n, status = row.get("n"), views.status_text(row, bundle, lang, "did")
        p += f"; n = {fmt_count(n, lang)}" if n is not None and not pd.isna(n) else ""
        p += f"; {status}" if status else ""
    return t(key, lang, outcome=outcome, size=size, ci=ci, p=p), significant


def outcome_findings(bundle: Bundle, lang: str, *, with_n: bool = False) -> list[dict[str, Any]]:
    """``[{outcome, sentence, significant, estimate}]`` for every outcome with a DiD."""
    rows = headline_rows(bundle)
    out = []
    for r in rows.to_dict("records"):
        text, sig = sentence(bundle, r, lang, with_n=with_n)
        est = r.get("estimate")
        out.append(
            {
                "outcome": r["outcome"],
                "sentence": text,
                "significant": sig,
                "estimate": None if est is None or pd.isna(est) else float(est),
            }
        )
    return out


def finding_of(bundle: Bundle, outcome: str | None, lang: str) -> dict[str, Any] | None:
    """The finding of one outcome (``None`` when it has no DiD)."""
    for f in outcome_findings(bundle, lang, with_n=True):
        if f["outcome"] == outcome:
            return f
    return None

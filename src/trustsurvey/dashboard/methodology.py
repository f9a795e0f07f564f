"""The methodology page in prose: sample design, fieldwork, response, weighting, what the
margin of error means (with its value), and what a suppressed or unreliable cell is.

Every number comes from the bundle and is named in the sentence that gives it.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> paras = methodology_paragraphs(demo_bundle(), "en")
>>> paras[0].startswith("The survey covered")
True
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustsurvey.dashboard import views
from trustsurvey.dashboard.numbers import fmt_count, fmt_number
from trustsurvey.dashboard.translations import policy_key, t
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.schema import ALL


def _date(text: Any, lang: str) -> str:
    try:
        d = pd.Timestamp(str(text))
    except (ValueError, TypeError):
        return str(text)
    return d.strftime("%d.%m.%Y") if lang == "uk" else d.strftime("%Y-%m-%d")


def design_paragraph(bundle: Bundle, lang: str) -> str | None:
    """Communities per arm, and each wave's fieldwork dates and respondents."""
    ss = bundle.tables.get("sample_sizes")
    if ss is None:
        return None
    coms = ss[ss["community"] != ALL].drop_duplicates("community")
    arms = ", ".join(
        f"{views.label(bundle, 'arm', a, lang).lower()}: {fmt_count(len(g), lang)}"
        for a, g in coms.groupby("arm", sort=True)
    )
    waves = []
    total = ss[(ss["community"] == ALL) & (ss["arm"] == ALL)]
    for w in bundle.waves:
        row = total[total["wave"] == int(w.get("code", -1))]
        n = row["n"].iloc[0] if len(row) and pd.notna(row["n"].iloc[0]) else None
        dates = [d for d in (w.get("fieldwork") or []) if d]
        waves.append(
            t(
                "method.wave",
                lang,
                wave=views.wave_label(bundle, int(w["code"]), lang),
                start=_date(dates[0], lang) if dates else "…",
                end=_date(dates[-1], lang) if dates else "…",
                n=fmt_count(n, lang) if n is not None else "—",
            )
        )
    return t(
        "method.p_design",
        lang,
        n_com=fmt_count(len(coms), lang),
        arms=arms,
        waves=" ".join(waves),
    )


def response_paragraph(bundle: Bundle, lang: str) -> str:
    ss = bundle.tables.get("sample_sizes")
    if ss is None or "response_rate" not in ss or ss["response_rate"].dropna().empty:
        return t("method.p_no_response", lang)
    rows = ss[(ss["community"] == ALL) & (ss["arm"] == ALL) & ss["response_rate"].notna()]
    rates = "; ".join(
        f"{views.wave_label(bundle, int(r['wave']), lang)}: "
        f"{fmt_number(100 * r['response_rate'], lang, 1)} %"
        for r in rows.to_dict("records")
    )
    return t("method.p_response", lang, rates=rates or "—")


def weighting_paragraph(bundle: Bundle, lang: str) -> str | None:
    wt = bundle.tables.get("weighting")
    if wt is None:
        return None
    every = wt[(wt["arm"] == ALL) if "arm" in wt else slice(None)]
    first = every[every["wave"] == every["wave"].min()].set_index("statistic")["value"]
    if "deff_kish" not in first or "n_eff" not in first:
        return t("method.p_weighting_plain", lang)
    return t(
        "method.p_weighting",
        lang,
        wave=views.wave_label(bundle, int(every["wave"].min()), lang),
        deff=fmt_number(first["deff_kish"], lang, 2),
        n_eff=fmt_count(first["n_eff"], lang),
    )


def moe_paragraph(bundle: Bundle, lang: str) -> str | None:
    moe = views.margins_of_error(bundle)
    if moe.empty:
        return None
    r = moe[moe["arm"] == ALL].iloc[0] if (moe["arm"] == ALL).any() else moe.iloc[0]
    unit = t("unit.pp_short" if r["binary"] else "unit.points_short", lang)
    return t(
        "method.p_moe",
        lang,
        outcome=views.label(bundle, "outcome", r["outcome"], lang),
        wave=views.wave_label(bundle, int(r["wave"]), lang),
        moe=fmt_number(r["moe"], lang, 1 if r["binary"] else 2),
        unit=unit,
    )


def methodology_paragraphs(bundle: Bundle, lang: str) -> list[str]:
    """The paragraphs of the methodology page, in order."""
    pol = bundle.policy
    dec = "," if lang == "uk" else "."
    paras = [
        design_paragraph(bundle, lang),
        response_paragraph(bundle, lang),
        weighting_paragraph(bundle, lang),
        moe_paragraph(bundle, lang),
        t(policy_key(pol), lang, min_cell=pol.min_cell, max_cv=f"{pol.max_cv:g}".replace(".", dec))
        + " "
        + t("method.p_unreliable", lang),
        t("method.p_small_area", lang) if "small_area" in bundle.tables else None,
    ]
    return [p for p in paras if p]

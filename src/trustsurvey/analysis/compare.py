"""Pilot vs control comparisons on a survey design: means, shares, Likert distributions.

Every difference is a design-based contrast of domain estimates: the estimates of both arms
come from one call ``design.mean(..., by=[..., group], covmat=True)`` on the full design, and
the difference's SE is ``sqrt(L V L')`` (R's ``svyby(..., covmat=TRUE)`` + ``svycontrast``;
Lumley 2010, 2.3 and 3.4), so arms sharing strata or PSUs are handled. Shares are means of
0/1 indicators. Distributions of Likert items keep the "difficult to answer" code as its own
category when the design is built on data where it is kept
(``read_survey(path).analysis(keep={"q7_trust": [8]})``); their association with the
arm is tested with the Rao-Scott F test (R's ``svychisq``; Rao & Scott 1984).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from trustsurvey.analysis.did import _data, _numeric, _require, treated_indicator
from trustsurvey.design.base import Design
from trustsurvey.design.metadata import relabel, take
from trustsurvey.errors import AnalysisError

__all__ = [
    "compare_communities",
    "compare_means",
    "compare_proportions",
    "compare_subgroups",
    "likert_distribution",
    "likert_tests",
]

_G = "_cmp_group"


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _valid_rows(res: pd.DataFrame) -> pd.DataFrame:
    """The rows of a ``covmat=True`` result with an estimate (domains with answers), with the
    matching block of the covariance: empty domains would make every contrast NaN."""
    valid = (res["n"].to_numpy() > 0) & np.isfinite(res["estimate"].to_numpy(dtype=float))
    if valid.all():
        return res
    return take(res, np.flatnonzero(valid))


def _diff_table(
    design: Design, variables: list[str], group_col: str, by: list[str], level: float
) -> pd.DataFrame:
    """Difference (group 1 - group 0) of the means of ``variables`` within every ``by`` cell."""
    res = design.mean(variables, by=[*by, group_col], covmat=True, level=level)
    if "variable" not in res.index.names:
        res = relabel(res, res.assign(variable=variables[0]).set_index("variable", append=True))
    labels = list(res.index)
    names = list(res.index.names)
    gpos, vpos = names.index(group_col), names.index("variable")
    bpos = [names.index(b) for b in by]
    cells: dict[tuple, dict] = {}
    valid = (res["n"].to_numpy() > 0) & np.isfinite(res["estimate"].to_numpy(dtype=float))
    for i, lab in enumerate(labels):
        key = (tuple(lab[j] for j in bpos), lab[vpos])
        cells.setdefault(key, {})
        if valid[i]:  # a domain without valid answers is reported with a reason
            cells[key][lab[gpos]] = i
    rows: list[dict[str, Any]] = []
    weights: dict[str, dict[Any, float]] = {}
    for (bkey, var), arms in cells.items():
        row = dict(zip(by, bkey, strict=True)) | {"outcome": var}
        for arm, tag in ((0.0, "control"), (1.0, "pilot")):
            if arm in arms:
                r = res.iloc[arms[arm]]
                row |= {f"estimate_{tag}": r["estimate"], f"se_{tag}": r["se"]}
                row[f"n_{tag}"] = int(r["n"])
            else:
                row |= {f"estimate_{tag}": np.nan, f"se_{tag}": np.nan, f"n_{tag}": 0}
        if 0.0 in arms and 1.0 in arms:
            name = f"c{len(weights)}"
            weights[name] = {labels[arms[1.0]]: 1.0, labels[arms[0.0]]: -1.0}
            row["_contrast"] = name
            row["reason"] = ""
        else:
            row["_contrast"] = None
            missing = "pilot" if 1.0 not in arms else "control"
            row["reason"] = f"no valid answers in the {missing} arm"
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("difference", "se", "ci_low", "ci_high", "df", "p"):
        out[col] = np.nan
    if weights:
        con = design.contrast(_valid_rows(res), weights, level=level)
        for col, src in (("difference", "estimate"), ("se", "se"), ("ci_low", "ci_low")):
            out[col] = out["_contrast"].map(con[src])
        for col in ("ci_high", "df", "p"):
            out[col] = out["_contrast"].map(con[col])
    out = out.drop(columns="_contrast")
    lead = [*by, "outcome"]
    rest = [c for c in out.columns if c not in lead and c != "reason"]
    return out[[*lead, *rest, "reason"]]


def compare_means(
    design: Design,
    outcomes: str | Sequence[str],
    group: str = "pilot",
    by: str | Sequence[str] | None = "wave",
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Pilot − control difference of weighted means (or shares of 0/1 outcomes) per ``by`` cell.

    Parameters
    ----------
    design : SurveyDesign
        Full design (never subset by arm or wave beforehand).
    outcomes : str or list of str
        Numeric outcomes (items, indices, 0/1 indicators).
    group : str
        0/1 arm column (1 = pilot).
    by : str or list of str, optional
        Cells within which the arms are compared (default per wave).

    Returns
    -------
    DataFrame
        One row per ``by`` cell and outcome: ``estimate_control, se_control, n_control,
        estimate_pilot, se_pilot, n_pilot, difference, se, ci_low, ci_high, df, p, reason``
        (``reason`` says why a difference is NA, e.g. an arm without valid answers).

    Notes
    -----
    ``difference = ybar_pilot - ybar_control`` with ``Var = V_pp + V_cc - 2 V_pc`` from the
    domains' joint linearised covariance; t reference on the design df. R:
    ``svycontrast(svyby(~y, ~wave + pilot, d, svymean, covmat = TRUE), ...)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(8), "pilot": [0, 0, 0, 0, 1, 1, 1, 1],
    ...                    "wave": [1, 2] * 4, "y": [1.0, 2, 2, 3, 3, 5, 4, 6], "w": 1.0})
    >>> res = compare_means(SurveyDesign(df, ids="psu", weights="w"), "y")
    >>> res[["wave", "estimate_control", "estimate_pilot", "difference"]].values.tolist()
    [[1.0, 1.5, 3.5, 2.0], [2.0, 2.5, 5.5, 3.0]]
    """
    data = _data(design)
    outs = _as_list(outcomes)
    bys = _as_list(by)
    _require(data, [*outs, group, *bys])
    cols = {o: _numeric(data, o, "outcome") for o in outs}
    cols[_G] = treated_indicator(data, group)
    d = design.with_columns(**cols)
    out = _diff_table(d, outs, _G, bys, level)
    return out.sort_values([*bys, "outcome"], kind="stable").reset_index(drop=True)


def compare_proportions(
    design: Design,
    item: str,
    categories: Sequence[Any] | None = None,
    group: str = "pilot",
    by: str | Sequence[str] | None = "wave",
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Pilot − control difference of the share answering each category of ``item``.

    Respondents with a missing answer are left out of the shares (a domain; the design stays
    whole). ``categories`` default to every observed code. Returns the table of
    :func:`compare_means` with a ``category`` column (and ``outcome`` = ``item``).

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(8), "pilot": [0, 0, 0, 0, 1, 1, 1, 1],
    ...                    "wave": 1, "a": [1, 2, 2, 1, 1, 1, 1, 2], "w": 1.0})
    >>> r = compare_proportions(SurveyDesign(df, ids="psu", weights="w"), "a")
    >>> r[["category", "estimate_control", "estimate_pilot", "difference"]].values.tolist()
    [[1.0, 0.5, 0.75, 0.25], [2.0, 0.5, 0.25, -0.25]]
    """
    data = _data(design)
    _require(data, [item])
    values = data[item]
    cats = sorted(values.dropna().unique().tolist()) if categories is None else list(categories)
    if not cats:
        raise AnalysisError(
            f"item {item!r} has no valid answers",
            item=item,
            hint="check the missing codes, or keep codes with analysis(keep=...)",
        )
    cols = {
        f"_cat{i}": (values == c).astype("float64").where(values.notna())
        for i, c in enumerate(cats)
    }
    d = design.with_columns(**cols)
    res = compare_means(d, list(cols), group=group, by=by, level=level)
    res.insert(
        res.columns.get_loc("outcome") + 1,
        "category",
        res["outcome"].map({f"_cat{i}": c for i, c in enumerate(cats)}),
    )
    res["outcome"] = item
    return res


def compare_communities(
    design: Design,
    outcome: str,
    community: str = "community",
    group: str = "pilot",
    by: str | Sequence[str] | None = "wave",
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """Each pilot community's weighted mean against the whole control arm, per ``by`` cell.

    A unit column is built (the community's name for pilot respondents, ``"control"`` for all
    control respondents); the means of all units come from one ``svyby(..., covmat=TRUE)``
    and each pilot community's difference is a contrast with the control unit.

    Returns
    -------
    DataFrame
        ``by..., community, outcome, estimate, se, n, estimate_control, difference, se_diff,
        ci_low, ci_high, df, p``.

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(6), "pilot": [0, 0, 1, 1, 1, 1], "wave": 1,
    ...                    "community": ["c", "c", "a", "a", "b", "b"],
    ...                    "y": [1.0, 2, 3, 4, 5, 6], "w": 1.0})
    >>> r = compare_communities(SurveyDesign(df, ids="psu", weights="w"), "y")
    >>> r[["community", "estimate", "difference"]].values.tolist()
    [['a', 3.5, 2.0], ['b', 5.5, 4.0]]
    """
    data = _data(design)
    bys = _as_list(by)
    _require(data, [outcome, community, group, *bys])
    tr = treated_indicator(data, group)
    unit = data[community].astype("object").where(tr == 1, "control").where(tr.notna())
    d = design.with_columns(_cmp_unit=unit, _cmp_y=_numeric(data, outcome, "outcome"))
    res = d.mean("_cmp_y", by=[*bys, "_cmp_unit"], covmat=True, level=level)
    labels = list(res.index)
    valid = (res["n"].to_numpy() > 0) & np.isfinite(res["estimate"].to_numpy(dtype=float))
    labels_ok = [lab for lab, ok in zip(labels, valid, strict=True) if ok]
    rows: list[dict[str, Any]] = []
    weights: dict[str, dict[Any, float]] = {}
    for i, lab in enumerate(labels):
        if not valid[i]:
            continue
        lab_t = lab if isinstance(lab, tuple) else (lab,)
        *bkey, u = lab_t
        if u == "control":
            continue
        ctrl = (*bkey, "control") if bkey else "control"
        r = res.iloc[i]
        row = dict(zip(bys, bkey, strict=True)) | {
            community: u,
            "outcome": outcome,
            "estimate": r["estimate"],
            "se": r["se"],
            "n": int(r["n"]),
        }
        if ctrl in labels_ok:
            name = f"c{len(weights)}"
            weights[name] = {lab: 1.0, ctrl: -1.0}
            row |= {"estimate_control": res.loc[ctrl, "estimate"], "_c": name, "reason": ""}
        else:
            row |= {"estimate_control": np.nan, "_c": None, "reason": "no control answers"}
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("difference", "se_diff", "ci_low", "ci_high", "df", "p"):
        out[col] = np.nan
    if weights:
        con = d.contrast(_valid_rows(res), weights, level=level)
        out["difference"] = out["_c"].map(con["estimate"])
        out["se_diff"] = out["_c"].map(con["se"])
        for col in ("ci_low", "ci_high", "df", "p"):
            out[col] = out["_c"].map(con[col])
    out = out.drop(columns="_c")
    reason = out.pop("reason")
    out["reason"] = reason
    return out.sort_values([*bys, community], kind="stable").reset_index(drop=True)


def compare_subgroups(
    design: Design,
    outcomes: str | Sequence[str],
    subgroups: Sequence[str],
    group: str = "pilot",
    by: str | Sequence[str] | None = "wave",
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """:func:`compare_means` within each level of each subgroup variable, stacked.

    Returns the :func:`compare_means` columns with ``subgroup`` (the variable) and ``level``
    (its value) in front. Subgroups absent from the data are skipped with a ``reason`` row.

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(8), "pilot": [0, 1] * 4, "wave": 1,
    ...                    "sex": [1, 1, 2, 2] * 2, "y": [1.0, 2, 3, 5, 1, 2, 3, 5], "w": 1.0})
    >>> r = compare_subgroups(SurveyDesign(df, ids="psu", weights="w"), "y", ["sex"])
    >>> r[["subgroup", "level", "difference"]].values.tolist()
    [['sex', 1, 1.0], ['sex', 2, 2.0]]
    """
    data = _data(design)
    bys = _as_list(by)
    frames = []
    for sg in subgroups:
        if sg not in data.columns:
            frames.append(
                pd.DataFrame([{"subgroup": sg, "reason": f"column {sg!r} not in the data"}])
            )
            continue
        res = compare_means(design, outcomes, group=group, by=[*bys, sg], level=level)
        res = res.rename(columns={sg: "level"})
        res.insert(0, "subgroup", sg)
        res["level"] = res["level"].astype("object")
        frames.append(res)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- Likert items
def likert_distribution(
    design: Design,
    item: str,
    by: str | Sequence[str] | None = ("pilot", "wave"),
    *,
    dont_know: Sequence[Any] = (8,),
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of every answer category of ``item`` per ``by`` cell, "difficult to answer" apart.

    Build the design on data where the code is kept (``analysis(keep={item: [8]})``);
    otherwise the shares are of valid answers only and no ``dont_know`` row appears.

    Returns
    -------
    DataFrame
        ``by..., item, category, estimate, se, ci_low, ci_high, n, dont_know`` (``dont_know``
        True for the codes in ``dont_know``). R: ``svyby(~factor(item), ~pilot + wave, d,
        svymean)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> df = pd.DataFrame({"psu": range(6), "pilot": [0, 0, 0, 1, 1, 1],
    ...                    "a": [1, 2, 8, 2, 2, 1], "w": 1.0})
    >>> r = likert_distribution(SurveyDesign(df, ids="psu", weights="w"), "a", by="pilot")
    >>> r[["pilot", "category", "estimate", "dont_know"]].round(3).values.tolist()[:3]
    [[0, 1, 0.333, False], [0, 2, 0.333, False], [0, 8, 0.333, True]]
    """
    data = _data(design)
    bys = _as_list(by)
    _require(data, [item, *bys])
    if data[item].notna().sum() == 0:
        raise AnalysisError(
            f"item {item!r} has no valid answers",
            item=item,
            hint="check the missing codes, or keep codes with analysis(keep=...)",
        )
    res = design.proportion(item, by=bys or None, level=level).reset_index()
    res = res.rename(columns={item: "category"})
    res.insert(len(bys), "item", item)
    res["dont_know"] = res["category"].isin(list(dont_know))
    keep = [*bys, "item", "category", "estimate", "se", "ci_low", "ci_high", "n", "dont_know"]
    return res[keep]


def likert_tests(
    design: Design,
    items: str | Sequence[str],
    group: str = "pilot",
    by: str | None = "wave",
) -> pd.DataFrame:
    """Rao-Scott F test of each item's distribution against ``group`` within each ``by`` cell.

    Returns ``by, item, F, ndf, ddf, p, reason`` (R: ``svychisq(~item + pilot,
    subset(d, wave == w))``, whose denominator df is ``ndf`` times the design df of the
    subset; Rao & Scott 1984). A cell where the test cannot be computed
    (one category, or one arm) has NA and a ``reason``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from trustsurvey.design import SurveyDesign
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"psu": np.arange(200) // 4, "pilot": (np.arange(200) // 4) % 2,
    ...                    "wave": 1, "a": rng.integers(1, 4, 200), "w": 1.0})
    >>> t = likert_tests(SurveyDesign(df, ids="psu", weights="w"), "a")
    >>> bool(t.loc[0, "p"] > 0.05)
    True
    """
    from trustsurvey.design.models import used_degf

    data = _data(design)
    its = _as_list(items)
    _require(data, [*its, group, *_as_list(by)])
    cells = [None] if by is None else sorted(data[by].dropna().unique().tolist())
    rows = []
    for cell in cells:
        sub = design if cell is None else design.subset((data[by] == cell).to_numpy())
        mask = np.ones(len(data), bool) if cell is None else (data[by] == cell).to_numpy()
        for it in its:
            row: dict[str, Any] = {} if by is None else {by: cell}
            row["item"] = it
            ok = mask & data[it].notna().to_numpy() & data[group].notna().to_numpy()
            n_cat = data.loc[ok, it].nunique()
            n_grp = data.loc[ok, group].nunique()
            if n_cat < 2 or n_grp < 2:
                what = "categories" if n_cat < 2 else "groups"
                rows.append(
                    row
                    | {"F": np.nan, "ndf": np.nan, "ddf": np.nan, "p": np.nan}
                    | {"reason": f"fewer than two {what} with answers"}
                )
                continue
            t = sub.chisq(it, group)
            f, ndf = float(t["F"].iloc[0]), float(t["ndf"].iloc[0])
            # R's svychisq on subset(design, by == cell): denominator df from the design df
            # of the subset (PSUs minus strata with respondents in the cell)
            ddf = ndf * used_degf(design, mask) if cell is not None else float(t["ddf"].iloc[0])
            p = float(stats.f.sf(f, ndf, ddf))
            rows.append(row | {"F": f, "ndf": ndf, "ddf": ddf, "p": p, "reason": ""})
    return pd.DataFrame(rows)

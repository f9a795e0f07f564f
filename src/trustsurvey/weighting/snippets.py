"""R, Stata and SPSS code declaring a weighted study's design beside its exported data.

With the study's margins (``targets``) and raking or post-stratification, the R and Stata
code start from the design weights and weight them again to the same margins (each
``margins.by`` group, e.g. wave × raion, to its own, via margins crossed with the group:
Lumley 2010, §7.3), so the final weights equal trustsurvey's and the standard errors are
calibration-adjusted like trustsurvey's own: R's ``rake()`` (then ``trimWeights()`` if the
weights were trimmed), Stata's ``svyset ..., rake()``. Without margins, with
``fixed_weights`` or with linear calibration, the code declares the final weights as fixed
(and says so). SPSS Complex Samples has no calibration: its plan always treats the weights
as fixed.

>>> import pandas as pd
>>> from trustsurvey.weighting import load_targets
>>> t = load_targets({"sex": {1: 4600, 2: 5400}})
>>> code = design_snippets({"ids": "psu", "weights": "pw"}, "w", "x.sav", targets=t)
>>> print(code["r"].splitlines()[-3])
des <- rake(des0, list(~sex), pop, control = list(maxit = 1000, epsilon = 1e-12))
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.weighting.targets import Targets

GROUP = "tsgroup"


def _r_vector(values: list[Any]) -> str:
    def one(v: Any) -> str:
        return f'"{v}"' if isinstance(v, str) else repr(float(v) if isinstance(v, float) else v)

    return "c(" + ", ".join(one(v) for v in values) + ")"


def _groups(targets: Targets) -> list[tuple[Any, ...]]:
    return sorted(tuple(g[c] for c in targets.by) for g in targets.groups())


def _population_r(targets: Targets, base: str | None) -> tuple[list[str], str]:
    """R data frames of the population (one per margin) and the margin formulas."""
    by = list(targets.by)
    per_margin: dict[tuple[str, ...], dict[str, list[Any]]] = {}
    shares = targets.kind == "shares"
    for group in _groups(targets) if by else [()]:
        label = "_".join(str(v) for v in group)
        margins = targets.margins_for(dict(zip(by, group, strict=True)))
        for key, cells in margins.items():
            variables = (key,) if isinstance(key, str) else tuple(key)
            table = per_margin.setdefault(variables, {"__group": [], "Freq": []})
            for codes, value in cells.items():
                codes_t = codes if isinstance(codes, tuple) else (codes,)
                for v, c in zip(variables, codes_t, strict=True):
                    table.setdefault(v, []).append(c)
                table["__group"].append(label)
                table["Freq"].append(value)
    frames, formulas = [], []
    for variables, table in per_margin.items():
        columns = [f"{GROUP} = {_r_vector(table['__group'])}"] if by else []
        columns += [f"{v} = {_r_vector(table[v])}" for v in variables]
        freq = _r_vector(table["Freq"])
        if shares:
            size = f"N[{_r_vector(table['__group'])}]" if by else "N"
            freq = f"{size} * {freq}"
        columns.append(f"Freq = {freq}")
        frames.append("  data.frame(" + ", ".join(columns) + ")")
        formulas.append("~" + " + ".join(([GROUP] if by else []) + list(variables)))
    lines = []
    if shares:
        w = f"d${base}" if base else "rep(1, nrow(d))"
        index = f"d${GROUP}" if by else "rep(1, nrow(d))"
        lines.append(f"N <- tapply({w}, {index}, sum)  # shares are of the design-weight total")
        if not by:
            lines.append("N <- N[[1]]")
    lines.append("pop <- list(\n" + ",\n".join(frames) + "\n)")
    return lines, "list(" + ", ".join(formulas) + ")"


def _r(
    kwargs: dict[str, Any],
    ids: list[str],
    weight: str,
    sav: str,
    targets: Targets | None,
    trim: tuple[float | None, float | None],
) -> str:
    base = kwargs.get("weights")
    parts = [f"ids = ~{' + '.join(ids) if ids else '1'}"]
    if kwargs.get("strata"):
        parts.append(f"strata = ~{kwargs['strata']}")
    fixed = targets is None
    parts.append(f"weights = ~{weight if fixed else base}" if (fixed or base) else "")
    if kwargs.get("fpc"):
        parts.append(f"fpc = ~{kwargs['fpc']}")
    if kwargs.get("nest"):
        parts.append("nest = TRUE")
    design = ", ".join(p for p in parts if p)
    head = "library(haven)\nlibrary(survey)\n"
    head += f'd <- as.data.frame(zap_labels(read_sav("{sav}", user_na = FALSE)))\n'
    if fixed:
        note = (
            "# the final weights, treated as fixed: SEs omit the calibration gain that "
            "trustsurvey's own estimates include (if it weighted to margins)\n"
        )
        return note + head + f"des <- svydesign({design}, data = d)\n"
    assert targets is not None
    note = (
        "# the design weights raked again to the study's population margins, as trustsurvey "
        "did:\n# the same final weights and calibration-adjusted SEs (Lumley 2010, 7.3)\n"
    )
    lines = [note + head.rstrip("\n")]
    if targets.by:
        cols = ", ".join(f'"{c}"' for c in targets.by)
        lines.append(f'd${GROUP} <- interaction(d[c({cols})], sep = "_", drop = TRUE)')
    lines.append(f"des0 <- svydesign({design}, data = d)")
    pop_lines, formulas = _population_r(targets, base)
    lines += pop_lines
    lines.append(
        f"des <- rake(des0, {formulas}, pop, control = list(maxit = 1000, epsilon = 1e-12))"
    )
    lower, upper = trim
    if lower is not None or upper is not None:
        bounds = ", ".join(
            f"{k} = {v!r}" for k, v in (("lower", lower), ("upper", upper)) if v is not None
        )
        lines.append(f"des <- trimWeights(des, {bounds}, strict = TRUE)")
    lines.append(f"stopifnot(isTRUE(all.equal(as.numeric(weights(des)), as.numeric(d${weight}))))")
    lines.append("# then e.g. svymean(~your_item, des, na.rm = TRUE)")
    return "\n".join(lines) + "\n"


def _stata(
    kwargs: dict[str, Any], ids: list[str], weight: str, sav: str, targets: Targets | None
) -> str:
    strata, fpc, base = kwargs.get("strata"), kwargs.get("fpc"), kwargs.get("weights")
    psu = ids[0] if ids else "_n"
    opts = [f"strata({strata})"] if strata else []
    if fpc:
        opts.append(f"fpc({fpc})")
    text = f'import spss using "{sav}", clear\n'
    if targets is None or not base:
        text = "* the final weights, treated as fixed (no calibration gain in the SEs)\n" + text
        text += f"svyset {psu} [pweight = {weight}]" + (", " + " ".join(opts) if opts else "")
        return text + "\n"
    by = list(targets.by)
    groups = _groups(targets) if by else [()]
    terms, totals = [], []
    if by:
        text += f"egen {GROUP} = group({' '.join(by)})  // groups numbered in sorted order\n"
    for gi, group in enumerate(groups, 1):
        margins = targets.margins_for(dict(zip(by, group, strict=True)))
        for key, cells in margins.items():
            variables = (key,) if isinstance(key, str) else tuple(key)
            term = "#".join(([f"i.{GROUP}"] if by else []) + [f"i.{v}" for v in variables])
            if term not in terms:
                terms.append(term)
            for codes, value in cells.items():
                codes_t = codes if isinstance(codes, tuple) else (codes,)
                name = "#".join(
                    ([f"{gi}.{GROUP}"] if by else [])
                    + [f"{c}.{v}" for v, c in zip(variables, codes_t, strict=True)]
                )
                totals.append(f"{name}={value:.10g}")
    if targets.kind == "shares":
        text += "* shares: multiply each by its group's total of the design weights first\n"
    opts.append(f"rake({' '.join(terms)}, totals({' '.join(totals)}))")
    text = (
        "* the design weights raked again to the study's population margins, as trustsurvey "
        "did\n* (Stata 15+; the same final weights, calibration-adjusted SEs)\n" + text
    )
    return text + f"svyset {psu} [pweight = {base}], " + " ".join(opts) + "\n"


def _spss(kwargs: dict[str, Any], ids: list[str], weight: str, sav: str) -> str:
    strata, fpc = kwargs.get("strata"), kwargs.get("fpc")
    plan = Path(sav).with_suffix(".csaplan").name
    design_line = "/DESIGN"
    if strata:
        design_line += f" STRATA={strata}"
    if ids:
        design_line += f" CLUSTER={ids[0]}"
    return (
        "* the final weights, treated as fixed: Complex Samples has no calibration, so SEs "
        "omit the calibration gain that trustsurvey's own estimates include.\n"
        f"GET FILE='{sav}'.\n"
        f"CSPLAN ANALYSIS\n  /PLAN FILE='{plan}'\n  /PLANVARS ANALYSISWEIGHT={weight}\n"
        f"  {design_line}\n  /ESTIMATOR TYPE={'EQUAL_WOR' if fpc else 'WR'}.\n"
    )


def design_snippets(
    design_kwargs: dict[str, Any],
    weight: str,
    sav_name: str,
    *,
    targets: Targets | None = None,
    method: str = "rake",
    fixed_weights: bool = False,
    trim: tuple[float | None, float | None] = (None, None),
) -> dict[str, str]:
    """R, Stata and SPSS code declaring the weighted design of ``sav_name``.

    ``targets`` (the margins the weights were raked or post-stratified to) make the R and
    Stata code weight again from the design weights, reproducing the calibration-adjusted
    SEs; ``trim`` gives the bounds the final weights were trimmed to.
    """
    ids = design_kwargs.get("ids")
    ids_list: list[str] = []
    if ids is not None and ids not in (1, "1"):
        ids_list = [ids] if isinstance(ids, str) else [str(i) for i in ids]
    again = None if fixed_weights or method not in ("rake", "poststratify") else targets
    stata = _stata(design_kwargs, ids_list, weight, sav_name, None if any(trim) else again)
    if len(ids_list) > 1:
        stata += f"* later stages: svyset {ids_list[0]} || {ids_list[1]} ... as needed\n"
    return {
        "r": _r(design_kwargs, ids_list, weight, sav_name, again, trim),
        "stata": stata,
        "spss": _spss(design_kwargs, ids_list, weight, sav_name),
    }

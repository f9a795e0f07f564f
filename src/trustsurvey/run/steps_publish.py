"""Pipeline step ``publish`` (the last one): the results bundle, the report and workbook.

The last step. Gathers the aggregates of the run, following the study's analysis plan —
design-based estimates of its outcomes by community, arm, wave and subgroup; answer shares of
its distributions with "difficult to answer" (codes of kind ``dont_know``); worst-case
bounds on the outcomes' means whatever the non-answerers think
(:mod:`~trustsurvey.run.nonresponse`); the DiD table (and
``did_staggered`` for staggered adoption); shares per option of its first multiple-choice
item (``problems``); focus-group theme matrices; sample sizes; weight diagnostics; the
validation summary; and the programme-monitoring tables of ``out/programme/`` — and writes
``STUDY/out/bundle/`` with :func:`trustsurvey.publish.publish_study_results` under the
study's ``publish:`` policy, plus ``out/report.html`` and ``out/tables.xlsx``. The manifest
carries the plan (outcomes and subgroups in reading order, why a study has no DiD).

Only aggregates are built here; the bundle writer's scan refuses anything else, and items the
questionnaire flags PII or free text are passed to it as banned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.design.base import Design
from trustsurvey.run.context import RunContext, shared_design
from trustsurvey.run.nonresponse import nonresponse_table

#: weight statistics published per arm x wave (no single respondent's weight)
WEIGHT_STATS = ("deff_kish", "n_eff", "cv", "ratio")


def _has_arms(frame: pd.DataFrame) -> bool:
    return "arm" in frame.columns and bool(frame["arm"].notna().any())


def _code(value: Any) -> str:
    """Answer and subgroup codes as published keys: ``1.0`` -> ``"1"``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def estimates_table(ctx: RunContext, design: Design, frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Weighted means with CIs and unweighted n of the plan's outcomes (in its order) by arm,
    community and the plan's subgroups per wave (no arm rows in a study without arms)."""
    plan = ctx.study.plan
    outcomes = plan.present("outcomes", frame.columns)
    subgroups = plan.present("subgroups", frame.columns)
    if not outcomes:
        return []
    com = ctx.study.arms.community
    arms = _has_arms(frame)
    groups: list[list[str]] = [["wave"], ["arm", "wave"]] if arms else [["wave"]]
    if com and com in frame.columns:
        groups.append([com, "wave"])
    if arms:
        groups += [["arm", "wave", s] for s in subgroups]
    groups += [["wave", s] for s in subgroups]
    parts = []
    for by in groups:
        est = design.mean(outcomes, by=by).reset_index()
        if "variable" not in est.columns:
            est.insert(0, "variable", outcomes[0])
        if com and com != "community" and com in est.columns:
            est = est.rename(columns={com: "community"})
        sub = [c for c in by if c in subgroups]
        if sub:
            est[sub[0]] = est[sub[0]].map(_code)
        keep = ["variable", "community", "arm", "wave", *sub]
        keep += ["estimate", "se", "ci_low", "ci_high", "df", "deff", "n"]
        parts.append(_plain(est[[c for c in keep if c in est.columns]]))
    return parts


def likert_table(
    ctx: RunContext, frame: pd.DataFrame, design: Design | None = None
) -> list[pd.DataFrame]:
    """Answer shares per Likert item, arm and wave, "difficult to answer" kept as a category.

    Shares and SEs are design-based (:func:`trustsurvey.analysis.compare.likert_distribution`)
    and use the final weights of the run: ``design`` (default :func:`shared_design`, the
    weighted design of the ``weight`` step) with the items' "difficult to answer" codes put
    back (:func:`~trustsurvey.run.steps_analysis.kept_design`, which keeps the weights
    and the calibration), so the shares agree with the published means: the share-weighted
    mean of the substantive codes is the published mean. ``n`` is the unweighted count of each
    answer. ``frame`` is the analysis frame the design holds (``ctx.analysis``).
    """
    from trustsurvey.analysis.compare import likert_distribution
    from trustsurvey.run.frame import dont_know_codes
    from trustsurvey.run.steps_analysis import kept_design

    study = ctx.study
    q = study.questionnaire
    items = study.plan.present("distributions", frame.columns)
    if not items:
        return []
    design = shared_design(ctx) if design is None else design
    kd = kept_design(design, q, items)
    if "arm" not in kd.data.columns:
        kd = kd.with_columns(arm=study.arms.arm_of(kd.data))
    kd = kd.with_columns(_all="all")
    kept = kd.data
    parts = []
    cells = (["arm", "wave"], ["_all", "wave"]) if _has_arms(frame) else (["_all", "wave"],)
    for by in cells:
        for item in items:
            dist = likert_distribution(kd, item, by=by, dont_know=dont_know_codes(q.items[item]))
            counts = (
                kept.dropna(subset=[item])
                .groupby([*by, item], dropna=True)
                .size()
                .rename("n")
                .reset_index()
                .rename(columns={item: "category"})
            )
            dist = dist.drop(columns=["n"]).merge(counts, on=[*by, "category"], how="left")
            dist["n"] = dist["n"].fillna(0)
            dist["order"] = dist.groupby(by)["category"].rank(method="first")
            dist["category"] = dist["category"].map(_code)
            out = dist.rename(columns={"item": "outcome", "estimate": "share"})
            out = out.drop(columns=["_all"], errors="ignore")
            keep = ["outcome", "arm", "wave", "category", "order", "share", "se", "n", "dont_know"]
            parts.append(_plain(out[[c for c in keep if c in out.columns]]))
    return parts


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.attrs = {}
    return out.reset_index(drop=True)


def _read(path: Path) -> pd.DataFrame | None:
    if path.with_suffix(".parquet").is_file():
        return pd.read_parquet(path.with_suffix(".parquet"))
    if path.with_suffix(".csv").is_file():
        return pd.read_csv(path.with_suffix(".csv"), keep_default_na=True)
    return None


def analysis_tables(
    out: Path, first: str | None = None, community: str | None = None
) -> dict[str, Any]:
    """DiD and the shares of the plan's first multiple-choice item (the bundle's ``problems``
    table) from the ``analysis`` step's tables under ``out/analysis``."""
    tables: dict[str, Any] = {}
    did = _read(out / "did")
    if did is not None and len(did):
        did = did[did["estimate"].notna()]
        tables["did"] = did.rename(columns={"model": "contrast", "p": "p_value"})[
            ["outcome", "contrast", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "n"]
        ]
    staggered = _read(out / "did_staggered")
    if staggered is not None and len(staggered):
        keep = ["outcome", "type", "cohort", "wave", "event_time", "estimate", "se"]
        keep += ["ci_low", "ci_high", "band_low", "band_high", "df", "n"]
        tables["did_staggered"] = staggered_table(staggered[[c for c in keep if c in staggered]])
    parts = []
    for name, col in (("multiple", "arm"), ("multiple_by_community", "community")):
        mc = _read(out / name)
        if mc is None or not len(mc) or (first is None):
            continue
        mc = mc[mc["item"].astype(str) == first]
        if col == "community" and "community" not in mc.columns and community in mc.columns:
            mc = mc.rename(columns={community: "community"})
        mc = mc.rename(columns={"option": "problem", "estimate": "share"})
        parts.append(mc[[col, "wave", "problem", "rank", "share", "se", "n"]])
    if parts:
        tables["problems"] = parts
    return tables


def staggered_table(table: pd.DataFrame) -> pd.DataFrame:
    """The bundle's ``did_staggered``: ``cohort`` and ``event_time`` as keys (``"all"`` where
    an aggregate has none), ``wave`` 0 where a row belongs to no single wave."""
    out = table.copy()
    for col in ("cohort", "event_time"):
        out[col] = out[col].map(lambda v: "all" if pd.isna(v) else _code(v))
    out["wave"] = pd.to_numeric(out["wave"]).fillna(0).astype(int)
    return out


def focus_group_table(ctx: RunContext) -> pd.DataFrame | None:
    """Theme matrix by arm: groups mentioning each theme and coded segments (no quotes)."""
    from trustsurvey.analysis.focus_groups import read_focus_groups, theme_frequencies

    spec = ctx.study.focus_groups
    if spec is None:
        return None
    fg = read_focus_groups(spec.groups, spec.segments)
    freq = theme_frequencies(fg, by="arm")
    return freq.rename(
        columns={"groups_mentioning": "n_groups", "segments_mentioning": "n_mentions"}
    )[["theme", "arm", "n_groups", "n_mentions", "share_groups"]]


def sample_size_table(
    ctx: RunContext, frame: pd.DataFrame, weights: pd.Series | None = None
) -> list[pd.DataFrame]:
    """Unweighted and weighted respondents per community, arm and wave (and in all).

    ``n_weighted`` sums ``weights`` (aligned on ``frame``'s index: the final weights of the
    run, ``design.weights``, as the estimates use); without them, the study's design weight
    column (or 1 per respondent).
    """
    com = ctx.study.arms.community
    if weights is not None:
        w = weights.reindex(frame.index)
    else:
        name = ctx.study.design.weights
        w = frame[name] if name and name in frame.columns else pd.Series(1.0, frame.index)
    base = frame.assign(_w=w)
    if com and com in base.columns and com != "community":
        # an item named "community" that is not the study's community column gives way
        base = base.drop(columns="community", errors="ignore").rename(columns={com: "community"})
    parts = []
    for by in (["wave"], ["arm", "wave"], ["community", "wave"]):
        if not all(c in base.columns for c in by):
            continue
        g = base.groupby(by, dropna=True)
        parts.append(pd.DataFrame({"n": g.size(), "n_weighted": g["_w"].sum()}).reset_index())
    return parts


def weighting_table(ctx: RunContext, design: Design) -> pd.DataFrame | None:
    """Diagnostics of the weights the estimates use (the ``weight`` step's final weights if
    it ran, else the design weights), per wave and arm x wave: Kish (1965) deff
    ``1 + CV^2``, effective sample size, CV and max/min ratio — never one respondent's weight.
    """
    from trustsurvey.weighting.diagnostics import weight_summary

    data = design.data
    frame = pd.DataFrame(
        {
            "wave": data["wave"].to_numpy(),
            "arm": data["arm"].to_numpy(),
            "_w": np.asarray(design.weights, dtype=float),
        }
    )
    rows = []
    for by in (["wave"], ["arm", "wave"]):
        for key, g in frame.dropna(subset=["_w", *by]).groupby(by):
            key = key if isinstance(key, tuple) else (key,)
            summary = weight_summary(g["_w"].to_numpy())
            for stat in WEIGHT_STATS:
                row = {**dict(zip(by, key, strict=True)), "statistic": stat}
                rows.append({**row, "value": summary[stat]})
    return pd.DataFrame(rows) if rows else None


def quality_table(ctx: RunContext) -> pd.DataFrame | None:
    """Interviews flagged per validation check and wave (the validation summary)."""
    report = ctx.report
    if report is None:
        return None
    issues = getattr(report, "table", None)
    if not isinstance(issues, pd.DataFrame) or issues.empty or "check" not in issues:
        return None
    wave_of = {w.file.name: w.code for w in ctx.study.waves}
    issues = issues.assign(wave=issues["file"].map(lambda f: wave_of.get(Path(str(f)).name)))
    issues = issues.dropna(subset=["wave"])
    ident = "resp_id" if "resp_id" in issues.columns else "row"
    counts = issues.groupby(["wave", "check"])[ident].nunique().rename("n_flagged").reset_index()
    sizes = {w.code: len(ctx.data[w.code].data) for w in ctx.study.waves if w.code in ctx.data}
    counts["share_flagged"] = counts["n_flagged"] / counts["wave"].map(sizes)
    return counts


def programme_tables(out: Path, min_cell: int = 30) -> dict[str, Any]:
    """Programme-monitoring aggregates from the ``programme`` step's tables (issue 9).

    ``min_cell``: the bundle's small-cell threshold, applied to the dose-response
    (:func:`dose_table`).
    """

    def read(name: str) -> pd.DataFrame | None:
        return _read(out / name)

    tables: dict[str, Any] = {}
    counts = ["activities", "participants", "female", "male", "police", "residents"]
    counts += ["officials", "ngo"]
    parts = []
    for name, keys in (
        ("activities_by_community", ["community", "arm", "period"]),
        ("activities_by_type", ["type", "arm", "period"]),
        ("activities_by_arm", ["arm", "period"]),
    ):
        df = read(name)
        if df is not None:
            parts.append(df[[*keys, *[c for c in counts if c in df.columns]]])
    if parts:
        tables["programme_activities"] = parts
    month = read("activities_by_month")
    if month is not None:
        tables["programme_timeline"] = month[["community", "month", "activities", "participants"]]
    intensity = read("intensity")
    if intensity is not None:
        tables["programme_intensity"] = intensity
    appeals = []
    cc = read("appeals_by_community_category")
    if cc is not None:
        appeals.append(cc[["community", "category", "period", "n", "per_1000"]])
        total = cc.groupby(["category", "period"], as_index=False)["n"].sum()
        appeals.append(total)  # the margin over communities, so the audit sees it
    bc = read("appeals_by_community")
    if bc is not None:
        appeals.append(bc[["community", "period", "n", "per_1000"]])
    if appeals:
        tables["appeals"] = appeals
    monthly = read("appeals_by_month_category")
    if monthly is not None:
        tables["appeals_monthly"] = monthly[["month", "period", "category", "n", "per_1000"]]
    res = []
    for name in ("resolution_by_arm", "resolution_by_category"):
        df = read(name)
        if df is not None:
            res.append(df.drop(columns=["events", "censored"], errors="ignore"))
    if res:
        tables["resolution"] = res
    training = read("training_effects")
    if training is not None:
        tables["training"] = training.drop(columns=["t", "df"], errors="ignore")
    dose = read("dose_response")
    if dose is not None:
        tables["dose_response"] = dose_table(dose, min_cell, out / "dose_response.csv")
    fit = read("dose_response_fit")
    if fit is not None:
        keep = ["term", "estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "k"]
        tables["dose_fit"] = fit[[c for c in keep if c in fit.columns]]
    return tables


#: values of a dose-response row blanked when its community is a small cell
DOSE_BLANK = ("change", "se", "ci_low", "ci_high")


def dose_table(dose: pd.DataFrame, min_cell: int, source: Path | None = None) -> pd.DataFrame:
    """The published dose-response: no change for a community with fewer than ``min_cell``
    respondents in either wave.

    Such a row keeps its community, arm, intensity and fitted line, has ``change``, ``se``
    and the CI blank and ``small_cell`` True (the reason); the ``programme`` step left it out
    of the meta-regression, so the published fit does not encode it either (its ``k`` counts
    the communities used). The unweighted counts themselves are not published here (they are
    in ``estimates`` / ``sample_sizes`` under their own suppression). Refuses a table whose
    fit was made with another threshold (re-run the pipeline).

    >>> d = pd.DataFrame({"community": ["a", "b"], "arm": "pilot", "change": [0.2, 0.4],
    ...                   "se": 0.1, "ci_low": 0.0, "ci_high": 0.6, "n_1": [80, 12],
    ...                   "n_2": [70, 90], "activities_per_1000": [1.0, 2.0],
    ...                   "small_cell": [False, True]})
    >>> dose_table(d, 30)[["community", "change", "small_cell"]].values.tolist()
    [['a', 0.2, False], ['b', nan, True]]
    """
    from trustsurvey.errors import PublishError

    if not {"n_1", "n_2"} <= set(dose.columns):
        raise PublishError(
            "the dose-response table has no unweighted counts per wave (n_1, n_2), so the "
            "small-cell rule cannot be applied",
            file=source,
            item="dose_response",
            hint="re-run the pipeline (trustsurvey run STUDY) so the programme step writes them",
        )
    small = dose[["n_1", "n_2"]].min(axis=1) < min_cell
    made_with = dose["small_cell"].astype(bool) if "small_cell" in dose.columns else None
    if made_with is None or not made_with.equals(small):
        raise PublishError(
            f"the dose-response was fitted with another small-cell threshold than the "
            f"bundle's min_cell {min_cell}",
            file=source,
            item="dose_response",
            hint="re-run the pipeline (trustsurvey run STUDY) so the programme step and the "
            "publish step use the same publish.min_cell",
        )
    out = dose.assign(small_cell=small.to_numpy())
    out.loc[small, list(DOSE_BLANK)] = np.nan
    keep = ["community", "arm", *DOSE_BLANK, "activities_per_1000"]
    keep += ["fitted", "fitted_ci_low", "fitted_ci_high", "small_cell"]
    return out[[c for c in keep if c in out.columns]]


def study_meta(ctx: RunContext, frame: pd.DataFrame | None) -> dict[str, Any]:
    """``meta_from_questionnaire`` plus the study's name, title, waves, arms and labels."""
    from trustsurvey.publish import meta_from_questionnaire

    study = ctx.study
    q = study.questionnaire
    meta = meta_from_questionnaire(q)
    labels = meta["labels"]
    plan = study.plan
    if plan.multiple and plan.multiple[0] in labels.get("option", {}):
        labels["problem"] = labels["option"][plan.multiple[0]]
    # -- labels of the breakdown variables, each with its own value labels --
    from trustsurvey.publish.labels import subgroup_labels

    labels.update(subgroup_labels(labels, [s for s in plan.subgroups if s in q.items]))
    if study.focus_groups is not None:
        from trustsurvey.analysis.focus_groups import resolve_codebook

        uk, en = resolve_codebook(None, "uk"), resolve_codebook(None, "en")
        labels["theme"] = {
            **{c: {"uk": uk.get(c, t), "en": t} for c, t in en.items()},
            **labels.get("theme", {}),
        }
    arms: dict[str, str] = {}
    communities = study.arms.communities
    if communities is not None and {"community", "arm"} <= set(communities.columns):
        arms = {
            str(c): str(a)
            for c, a in zip(communities["community"], communities["arm"], strict=True)
        }
        uk_col = next((c for c in ("name_uk", "label_uk") if c in communities.columns), None)
        en_col = next((c for c in ("name_en", "label_en") if c in communities.columns), None)
        if uk_col or en_col:
            labels["community"] = {
                str(r["community"]): {
                    "uk": str(r[uk_col] if uk_col else r[en_col]),
                    "en": str(r[en_col] if en_col else r[uk_col]),
                }
                for _, r in communities.iterrows()
            }
    labels.update(programme_labels(ctx))
    labels.setdefault("arm", {}).update(
        {
            "pilot": {"uk": "Пілотні громади", "en": "Pilot communities"},
            "control": {"uk": "Контрольні громади", "en": "Control communities"},
        }
    )
    # -- every label cleaned once (control characters, bidi overrides, length); scales --
    from trustsurvey.publish.labels import clean_labels
    from trustsurvey.publish.scales import outcome_scales
    from trustsurvey.validation.checks import CHECKS

    labels["check"] = {n: {"uk": c.uk, "en": c.en} for n, c in CHECKS.items()}
    meta["labels"] = labels = clean_labels(labels)
    labels["scale"] = outcome_scales(q)
    meta.update(
        study=study.name,
        title=dict(study.title) if study.title else {"uk": study.name, "en": study.name},
        waves=[
            {
                "code": w.code,
                "label": _label(getattr(w, "label", None), w.code),
                "fieldwork": [
                    str(getattr(w, "fieldwork_start", "") or ""),
                    str(getattr(w, "fieldwork_end", "") or ""),
                ],
            }
            for w in study.waves
        ],
        questionnaire_hash=_hash(study.questionnaire_path),
        n_respondents=len(frame) if frame is not None else None,
        arms=arms,
        plan=plan_meta(study, frame),
    )
    return meta


def plan_meta(study: Any, frame: pd.DataFrame | None) -> dict[str, Any]:
    """The analysis plan as the bundle's manifest carries it: the outcomes and subgroups the
    bundle holds, in the plan's order (the dashboard lists outcomes in it and opens on the
    first), and ``did_note`` ({uk, en}) saying why a study has no DiD."""
    from trustsurvey.run.steps_analysis import DID_REASONS, did_unavailable

    plan = study.plan
    columns = frame.columns if frame is not None else []
    out: dict[str, Any] = {
        "outcomes": plan.present("outcomes", columns),
        "subgroups": plan.present("subgroups", columns),
    }
    reason = did_unavailable(frame) if frame is not None else None
    if reason is not None:
        out["did_note"] = DID_REASONS[reason]
    return out


def programme_labels(ctx: RunContext) -> dict[str, Any]:
    """Labels of activity types (``type``), appeal categories (``appeal``) and programme
    periods (``period``) for the bundle, from the programme vocabulary and the waves."""
    spec = ctx.study.programme
    if spec is None:
        return {}
    from trustsurvey.programme.vocabulary import load_vocabulary

    vocab = load_vocabulary(getattr(spec, "vocabulary", "programme_vocabulary"), ctx.study.folder)
    k = len(ctx.study.waves)
    period = {"before_wave_1": {"uk": "До хвилі 1", "en": "Before wave 1"}}
    for i in range(1, k):
        period[f"between_waves_{i}_{i + 1}"] = {
            "uk": f"Між хвилями {i} і {i + 1}",
            "en": f"Between waves {i} and {i + 1}",
        }
    period[f"after_wave_{k}"] = {"uk": f"Після хвилі {k}", "en": f"After wave {k}"}
    return {
        "type": vocab.lists.get("activity_type", {}),
        "appeal": vocab.lists.get("category", {}),
        "period": period,
    }


def _label(text: Any, code: int) -> dict[str, str]:
    if isinstance(text, dict):
        return {k: str(v) for k, v in text.items()}
    uk, en = getattr(text, "uk", None), getattr(text, "en", None)
    return {"uk": str(uk or en or code), "en": str(en or uk or code)}


def _hash(path: Path) -> str | None:
    import hashlib

    p = Path(path)
    files = sorted(p.rglob("*")) if p.is_dir() else [p]
    h = hashlib.sha256()
    for f in files:
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()


def collect_tables(ctx: RunContext) -> dict[str, Any]:
    """Every published table kind this run can fill (absent kinds are left out)."""
    study = ctx.study
    frame = ctx.analysis
    tables: dict[str, Any] = {}
    usable = frame is not None and all(c in frame.columns for c in study.design.columns())
    if usable:
        com = study.arms.community
        design = shared_design(ctx)  # the weighted design of the weight step: final weights
        tables["estimates"] = estimates_table(ctx, design, frame)
        tables["likert"] = likert_table(ctx, frame, design) or None
        tables["nonresponse_bounds"] = nonresponse_table(study, design, frame, ctx.echo) or None
        sized = (
            frame
            if not com or com == "community"
            else frame.drop(columns="community", errors="ignore").rename(columns={com: "community"})
        )
        tables["sample_sizes"] = sample_size_table(ctx, sized, design.weights)
        tables["weighting"] = weighting_table(ctx, design)
    first = study.plan.multiple[0] if study.plan.multiple else None
    tables.update(analysis_tables(study.out_dir / "analysis", first, study.arms.community))
    tables["focus_groups"] = focus_group_table(ctx)
    tables["quality"] = quality_table(ctx)
    if study.programme is not None:
        tables.update(programme_tables(study.out_dir / "programme", study.publish.min_cell))
    return {k: v for k, v in tables.items() if v is not None and not _empty(v)}


def _empty(value: Any) -> bool:
    frames = [value] if isinstance(value, pd.DataFrame) else list(value)
    return all(f is None or f.empty for f in frames)


def run_publish(ctx: RunContext) -> None:
    """The step: write ``out/bundle/``, ``out/report.html`` and ``out/tables.xlsx``."""
    from trustsurvey.publish import publish_study_results
    from trustsurvey.publish.policy import DisclosurePolicy

    study = ctx.study
    tables = collect_tables(ctx)
    if not tables:
        ctx.echo("      skipped: nothing to publish (no analysis data)")
        return
    pub = study.publish
    policy = DisclosurePolicy.from_settings(pub)  # every publish: setting of study.yaml
    meta = study_meta(ctx, ctx.analysis)
    meta["languages"] = list(pub.languages)
    derived = None
    frame = ctx.analysis
    if frame is not None and all(c in frame.columns for c in study.design.columns()):
        from trustsurvey.run.small_area import small_area_deriver

        derived = small_area_deriver(ctx, shared_design(ctx))
    path = publish_study_results(
        tables,
        study.out_dir,
        study_meta=meta,
        policy=policy,
        report=True,
        previous=pub.previous_bundle,
        derived=derived,
    )
    ctx.outputs["bundle"] = path
    ctx.outputs["report"] = study.out_dir / "report.html"
    ctx.outputs["tables_xlsx"] = study.out_dir / "tables.xlsx"
    for lang in ("uk", "en"):  # the one-page summaries written with the report
        ctx.outputs[f"summary_{lang}"] = study.out_dir / f"summary_{lang}.pdf"
    from trustsurvey.publish.bundle import read_bundle

    bundle = read_bundle(path)
    sup = bundle.manifest["disclosure"]["suppressed"]
    n_sup = sum(v["small_cell"] + v["complementary"] for v in sup.values())
    n_withheld = sum(v.get("n_withheld", 0) for v in sup.values())
    ctx.echo(
        f"      {len(bundle.tables)} tables ({', '.join(bundle.tables)}); "
        f"{n_sup} row(s) suppressed (min_cell {pub.min_cell}, appeals {pub.min_records}), "
        f"the n of {n_withheld} published mean(s) withheld"
    )
    ctx.echo(f"      bundle in {path}; report {ctx.outputs['report']}")

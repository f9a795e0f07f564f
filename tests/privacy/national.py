"""Studies of many communities for the privacy tests, written and run by the real pipeline
(``trustsurvey example DIR --communities N --waves W`` and ``trustsurvey run``), and their
updates: the same study with late interviews added, published again with or without
``publish.previous_bundle`` (the earlier release).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

#: the pipeline steps whose outputs the publish step reads
STEPS = ("read", "validate", "clean", "indices", "weight", "programme", "analysis", "publish")


def run_bundle_steps(folder: Path) -> Any:
    """Run the steps of ``trustsurvey run`` that make the bundle; return the run context."""
    from trustsurvey.run.pipeline import STEPS as ALL_STEPS
    from trustsurvey.run.pipeline import run_study

    steps = [s for s in ALL_STEPS if s.name in STEPS]
    return run_study(folder, steps=steps, echo=lambda s: None)


def national_study(folder: Path, communities: int, waves: int = 2) -> Any:
    """Write a study of ``communities`` communities and run it; return the run context."""
    from trustsurvey.example import generate_example

    study = generate_example(folder, communities=communities, waves=waves, progress=False)
    return run_bundle_steps(study)


def late_interviews(run: Any, min_cell: int, most: int) -> dict[tuple[str, int], int]:
    """Where an update adds late interviews: every community-wave whose sample is short of
    ``min_cell`` by at most ``most`` gets what it lacks (so its count reaches the threshold
    and the update would publish it); and two interviews each go to the three largest
    community-waves (an update never touches only the small cells). (community, wave) ->
    interviews to add."""
    frame = run.analysis
    com = run.study.arms.community
    sizes = frame.groupby([frame[com].astype(str), frame["wave"].astype(int)]).size()
    short = sizes[(sizes < min_cell) & (sizes >= min_cell - most)]
    if short.empty:  # the smallest community-wave, lifted as far as ``most`` allows
        smallest = sizes.sort_values(kind="stable").index[0]
        short = sizes.loc[[smallest]].clip(lower=min_cell - most)
    add = {key: int(min_cell - n) for key, n in short.items()}
    for key in sizes.sort_values(ascending=False, kind="stable").index[:3]:
        add[key] = add.get(key, 0) + 2
    return add


def with_late_interviews(
    run: Any, folder: Path, add: dict[tuple[str, int], int], previous: Path | None
) -> Path:
    """A copy of the study of ``run`` at ``folder`` with ``add`` interviews more: copies of
    respondents the cleaning kept in the same community-wave (same PSU and design weight),
    each with a new id, one answer of a Likert item moved by one and a longer interview, so
    that none is taken for a duplicate. With ``previous`` the copy is an update of that
    release (``publish.previous_bundle``)."""
    from trustsurvey.io import read_survey, write_survey
    from trustsurvey.io.survey_data import SurveyData

    src = run.study.folder
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(src, folder, ignore=shutil.ignore_patterns("out"))
    com = run.study.arms.community
    kept = run.analysis
    items = _likert_items(run)
    for wave in run.study.waves:
        sd = read_survey(folder / wave.file.relative_to(src))
        rows = sd.data
        new = []
        next_id = int(pd.to_numeric(rows["resp_id"]).max()) + 1
        for (community, code), k in sorted(add.items()):
            if code != wave.code:
                continue
            ids = kept.loc[
                (kept[com].astype(str) == community) & (kept["wave"].astype(int) == code),
                "resp_id",
            ]
            like = rows[rows["resp_id"].isin(set(ids))]
            for i in range(k):
                one = like.iloc[[i % len(like)]].copy()
                one["resp_id"] = next_id
                next_id += 1
                item = items[i % len(items)]
                value = one[item].iloc[0]
                if pd.notna(value):
                    one[item] = 2.0 if float(value) != 2.0 else 3.0
                if "duration_min" in one:
                    one["duration_min"] = one["duration_min"] + 1.0 + i
                new.append(one)
        if not new:
            continue
        rows = pd.concat([rows, *new], ignore_index=True)
        meta = sd.meta
        if hasattr(meta, "n_rows"):
            meta = dataclasses.replace(meta, n_rows=len(rows))
        path = folder / wave.file.relative_to(src)
        path.unlink()
        write_survey(SurveyData(rows, meta), path)
    if previous is not None:
        _set_previous(folder, previous)
    return folder


def _likert_items(run: Any) -> list[str]:
    """Items of the bundle's Likert table present in the wave files (answers 1-5)."""
    from trustsurvey.publish.bundle import read_bundle

    lik = read_bundle(run.outputs["bundle"]).tables["likert"]
    items = [i for i in sorted(set(lik["outcome"])) if i in run.analysis.columns]
    assert items, "the study publishes no Likert item"
    return items


def republish_without_previous(run: Any, out_dir: Path) -> Path:
    """The update of ``run`` written again as the publish step writes it, but without
    ``publish.previous_bundle`` (what happens when a team forgets it)."""
    from trustsurvey.publish import write_bundle
    from trustsurvey.publish.policy import DisclosurePolicy
    from trustsurvey.run.steps_publish import collect_tables, study_meta

    pub = run.study.publish
    policy = DisclosurePolicy.from_settings(pub)
    meta = study_meta(run, run.analysis)
    meta["languages"] = list(pub.languages)
    derived = None
    if all(c in run.analysis.columns for c in run.study.design.columns()):
        from trustsurvey.run.context import shared_design
        from trustsurvey.run.small_area import small_area_deriver

        derived = small_area_deriver(run, shared_design(run))
    tables = collect_tables(run)
    return write_bundle(tables, out_dir, study_meta=meta, policy=policy, derived=derived)


def true_growth(before: Any, after: Any) -> pd.Series:
    """Respondents added per (community, wave) between two runs, from their microdata."""
    out = []
    for run in (before, after):
        com = run.study.arms.community
        f = run.analysis
        out.append(f.groupby([f[com].astype(str), f["wave"].astype(int)]).size())
    return (out[1] - out[0]).fillna(out[1]).astype(int)


# --- a release that adds a wave: the first release as it was before the last wave ----------


def before_last_wave(study: Path, folder: Path, cutoff: str) -> Path:
    """The study at ``study`` as its first release saw it: without its last wave (data file,
    ``study.yaml`` entry, calibration margins) and with the programme records (hotline
    appeals, activities and their trainings, focus groups) up to ``cutoff``
    (``YYYY-MM-DD``); an appeal resolved after ``cutoff`` is still pending then, and a
    study whose focus groups all came later has none."""
    import yaml

    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(study, folder, ignore=shutil.ignore_patterns("out"))
    spec = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    last = spec["waves"].pop()
    (folder / last["file"]).unlink()
    groups = spec.get("focus_groups", {})
    if "groups" in groups:
        _keep_rows(folder / groups["groups"], lambda f: f["date"] <= cutoff)
        ids = set(_read_text_csv(folder / groups["groups"])["id"])
        if ids:
            _keep_rows(folder / groups["segments"], lambda f: f["group"].isin(ids))
        else:  # no focus group held yet
            del spec["focus_groups"]
    (folder / "study.yaml").write_text(
        yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    if "margins" in spec:
        _keep_rows(folder / spec["margins"]["file"], lambda f: f["wave"] != str(last["code"]))
    prog = spec.get("programme", {})
    if "hotline" in prog:
        path = folder / prog["hotline"]
        _keep_rows(path, lambda f: f["date_received"] <= cutoff)
        log = _read_text_csv(path)
        later = log["date_resolved"] > cutoff
        log.loc[later, "resolved"] = "pending"
        log.loc[later, "date_resolved"] = ""
        log.to_csv(path, index=False)
    if "activities" in prog:
        path = folder / prog["activities"]
        _keep_rows(path, lambda f: f["date"] <= cutoff)
        kept = set(_read_text_csv(path)["activity_id"])
        if "trainings" in prog:
            _keep_rows(folder / prog["trainings"], lambda f: f["training_id"].isin(kept))
    return folder


def _read_text_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _keep_rows(path: Path, keep: Any) -> None:
    """Keep the rows of a CSV file (read as text) for which ``keep(frame)`` holds."""
    frame = _read_text_csv(path)
    frame[keep(frame)].to_csv(path, index=False)


def default_cutoff(study: Path) -> str:
    """When the first release's records end: the 15th of the month halfway between the end
    of the last-but-one wave's fieldwork and the start of the last wave's (a partial month,
    the harder case for the intruder)."""
    import datetime as dt

    import yaml

    waves = yaml.safe_load((study / "study.yaml").read_text(encoding="utf-8"))["waves"]
    end = pd.Timestamp(waves[-2]["fieldwork"]["end"])
    start = pd.Timestamp(waves[-1]["fieldwork"]["start"])
    mid = end + (start - end) / 2
    return dt.date(mid.year, mid.month, 15).isoformat()


def new_wave_releases(study: Path, root: Path, cutoff: str | None = None) -> dict[str, Any]:
    """Two releases of ``study`` written by the pipeline: the first of all its waves but the
    last, with records up to ``cutoff`` (:func:`before_last_wave`; default
    :func:`default_cutoff`), as it was released; the second of every wave and record, with
    ``publish.previous_bundle`` the first. Returns both bundles, both runs and the cutoff."""
    from trustsurvey.publish.bundle import read_bundle

    cutoff = cutoff or default_cutoff(study)
    run1 = run_bundle_steps(before_last_wave(study, root / "first", cutoff))
    released = root / "released" / "bundle"
    if released.exists():
        shutil.rmtree(released)
    shutil.copytree(run1.outputs["bundle"], released)
    second = root / "second"
    if second.exists():
        shutil.rmtree(second)
    shutil.copytree(study, second, ignore=shutil.ignore_patterns("out"))
    _set_previous(second, released)
    run2 = run_bundle_steps(second)
    return {
        "first": read_bundle(released),
        "second": read_bundle(run2.outputs["bundle"]),
        "runs": (run1, run2),
        "cutoff": cutoff,
    }


def _set_previous(study: Path, previous: Path) -> None:
    """Make ``study`` an update of the release at ``previous`` (``publish.previous_bundle``)."""
    study_yaml = study / "study.yaml"
    text = study_yaml.read_text(encoding="utf-8")
    study_yaml.write_text(
        text.replace("publish:\n", f"publish:\n  previous_bundle: '{previous}'\n", 1)
        + "files_outside_folder: true\n",
        encoding="utf-8",
    )


def true_tables(run: Any) -> dict[str, pd.DataFrame]:
    """The tables of ``run`` as the publish step protects them: true values, nothing hidden."""
    from trustsurvey.publish.bundle import normalized_tables
    from trustsurvey.run.steps_publish import collect_tables, study_meta

    arms = study_meta(run, run.analysis).get("arms") or {}
    return normalized_tables(collect_tables(run), arms)


def true_counts(true: dict[str, pd.DataFrame], bundle: Any, kind: str, rows: Any) -> list[float]:
    """The true counts (:func:`true_tables` of the run that wrote ``bundle``) of ``rows`` of
    ``kind`` in ``bundle``, matched by the kind's keys."""
    from trustsurvey.publish.schema import KINDS

    spec = KINDS[kind]
    keys = list(spec.keys)
    table = true[kind]
    index = table.set_index(pd.MultiIndex.from_frame(table[keys].astype(str)))[spec.count]
    wanted = bundle.tables[kind].iloc[list(rows)][keys].astype(str)
    return [float(index.loc[tuple(k)]) for k in wanted.itertuples(index=False, name=None)]

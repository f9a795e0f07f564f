"""Build the example study's data frames in memory (no files): reproducible from a seed.

>>> frames = build_example(seed=7)
>>> sorted(frames.waves), len(frames.waves[1]) > 1900
([1, 2], True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.example.plan import StudyPlan
    from trustsurvey.questionnaire import Questionnaire

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trustsurvey.example import responses
from trustsurvey.example.focus_groups import focus_groups
from trustsurvey.example.margins import population_margins
from trustsurvey.example.sample import draw_sample

DEFAULT_SEED = 20190415
FIRST_ID = {1: 1, 2: 10001}
#: the interviewer whose respondents say "difficult to answer" far too often (wave 2)
OUTLIER_INTERVIEWER = 232
OUTLIER_DK_BOOST = 0.25
#: interview length: log-normal with this median (minutes) and log-sd, at least MIN_DURATION
DURATION_MEDIAN, DURATION_LOGSD, MIN_DURATION = 26.0, 0.25, 12.0
SPEEDER_MINUTES = 6.0
OPERATORS = ("50", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99")

#: fieldwork periods of the two waves
FIELDWORK = {
    1: (dt.date(2019, 3, 4), dt.date(2019, 4, 12)),
    2: (dt.date(2020, 9, 7), dt.date(2020, 10, 16)),
}


@dataclass
class ExampleFrames:
    """Everything the example study holds, as data frames."""

    waves: dict[int, pd.DataFrame]
    errors: pd.DataFrame  # the deliberate errors: wave, resp_id, check, item, description
    margins: pd.DataFrame
    communities: pd.DataFrame
    groups: pd.DataFrame
    segments: pd.DataFrame
    programme: Any = None  # trustsurvey.example.programme.ProgrammeFrames


def _interviewers(frame: pd.DataFrame) -> pd.Series:
    """One interviewer per PSU; four PSUs per interviewer within a raion and wave."""
    out = pd.Series(0, index=frame.index, dtype=int)
    for (wave, raion), part in frame.groupby(["wave", "raion"], sort=True):
        psus = list(dict.fromkeys(part["psu"]))
        code = {p: int(wave) * 100 + int(raion) * 10 + i // 4 + 1 for i, p in enumerate(psus)}
        out[part.index] = part["psu"].map(code)
    return out


def _phones(n: int, rng: np.random.Generator) -> list[str]:
    ops = rng.choice(OPERATORS, size=n)
    digits = rng.integers(0, 10, size=(n, 7))
    a = (digits[:, :3] @ np.array([100, 10, 1])).tolist()
    b = (digits[:, 3:5] @ np.array([10, 1])).tolist()
    c = (digits[:, 5:] @ np.array([10, 1])).tolist()
    return [
        f"+380 {op} {x:03d} {y:02d} {z:02d}"
        for op, x, y, z in zip(ops.tolist(), a, b, c, strict=True)
    ]


def _break_straightlines(
    frame: pd.DataFrame, grids: dict[str, list[str]], rng: np.random.Generator, min_items: int = 5
) -> None:
    """Nudge one answer of any respondent who, by chance, gives one answer across a grid.

    Only grids the straight-lining check judges (at least ``min_items`` items) matter.
    """
    for items in grids.values():
        cols = [c for c in items if c in frame.columns]
        if len(cols) < min_items:
            continue
        values = frame[cols].to_numpy(float)
        valid = values < responses.DK
        high = np.where(valid, values, -np.inf).max(axis=1)
        low = np.where(valid, values, np.inf).min(axis=1)
        same = (high == low) & (valid.sum(axis=1) >= 2)
        for row in np.flatnonzero(same):
            answered = np.flatnonzero(valid[row])
            col = answered[int(rng.integers(len(answered)))]
            v = values[row, col]
            values[row, col] = v - 1 if v > 1 else v + 1
        frame[cols] = values


def fieldwork(wave: int) -> tuple[dt.date, dt.date]:
    """Fieldwork dates of ``wave``: the example's two, then one a year each September."""
    if wave in FIELDWORK:
        return FIELDWORK[wave]
    start = dt.date(2020 + wave - 2, 9, 7)
    return start, start + dt.timedelta(days=39)


def _wave(
    wave: int,
    rng: np.random.Generator,
    grids: dict[str, list[str]],
    sample: pd.DataFrame | None = None,
    exposure: Callable[[pd.DataFrame], responses.Exposure] | None = None,
) -> pd.DataFrame:
    """One wave's answers; ``sample`` (default the example's) and its true effects."""
    if sample is None:
        sample = draw_sample(wave, rng, FIRST_ID.get(wave, (wave - 1) * 10000 + 1))
        sample["interviewer"] = _interviewers(sample)
    else:
        from trustsurvey.example.national import interviewers

        sample["interviewer"] = interviewers(sample)
    boost = np.where(sample["interviewer"] == OUTLIER_INTERVIEWER, OUTLIER_DK_BOOST, 0.0)
    frame = responses.answer(sample, rng, boost, None if exposure is None else exposure(sample))
    _break_straightlines(frame, grids, rng)
    duration = DURATION_MEDIAN * np.exp(rng.normal(0, DURATION_LOGSD, size=len(frame)))
    frame["duration_min"] = np.round(np.maximum(duration, MIN_DURATION), 1)
    frame["phone"] = _phones(len(frame), rng)
    start, end = fieldwork(wave)
    psus = frame["psu"].unique()
    days = dict(zip(psus, rng.integers(0, (end - start).days, size=len(psus)), strict=True))
    offset = frame["psu"].map(days).to_numpy() + rng.integers(0, 2, size=len(frame))
    frame["interview_date"] = [start + dt.timedelta(days=int(d)) for d in offset]
    return frame.drop(columns=["adults_hh"])


def _pick(frame: pd.DataFrame, mask: pd.Series, rng: np.random.Generator, taken: set) -> int:
    rows = [r for r in frame.index[mask] if r not in taken]
    row = rows[int(rng.integers(len(rows)))]
    taken.add(row)
    return row


def _inject_errors(
    waves: dict[int, pd.DataFrame], rng: np.random.Generator, grids: dict[str, list[str]]
) -> pd.DataFrame:
    """Plant one of each deliberate error; return the manifest of what was planted."""
    log: list[tuple] = []
    w1 = waves[1]
    taken: set[int] = set()
    ordinary = w1["interviewer"] != OUTLIER_INTERVIEWER

    # 1. a duplicated interview: the same answers under a new id (appended to wave 1)
    row = _pick(w1, ordinary, rng, taken)
    copy = w1.loc[[row]].copy()
    new_id = int(w1["resp_id"].max()) + 1
    copy["resp_id"] = new_id
    copy["duration_min"] = float(copy["duration_min"].iloc[0]) + 3.0
    waves[1] = w1 = pd.concat([w1, copy], ignore_index=True)
    original = int(w1.at[row, "resp_id"])
    log.append((1, new_id, "duplicate", "", f"copy of respondent {original}"))

    # 2. an out-of-range code: trust_police = 6 on a 1-5 scale
    row = _pick(w1, w1["trust_police"] < responses.DK, rng, taken)
    w1.at[row, "trust_police"] = 6.0
    log.append((1, int(w1.at[row, "resp_id"]), "invalid_code", "trust_police", "code 6"))

    # 3. an answer where skip logic says the item is not relevant
    row = _pick(w1, w1["contact_police"] == 0, rng, taken)
    w1.at[row, "contact_satisfaction"] = 4.0
    log.append(
        (1, int(w1.at[row, "resp_id"]), "not_relevant", "contact_satisfaction", "no contact")
    )

    # 4. "none" ticked together with a problem
    row = _pick(w1, w1["problems_theft"] == 1, rng, taken)
    w1.at[row, "problems_none"] = 1.0
    log.append((1, int(w1.at[row, "resp_id"]), "exclusive_option", "problems", "none + theft"))

    if 2 not in waves:
        return _error_log(log)

    # 5. a speeder (wave 2)
    w2 = waves[2]
    ordinary2 = w2["interviewer"] != OUTLIER_INTERVIEWER
    taken2: set[int] = set()
    row = _pick(w2, ordinary2, rng, taken2)
    w2.at[row, "duration_min"] = SPEEDER_MINUTES
    log.append((2, int(w2.at[row, "resp_id"]), "speeder", "duration_min", "6 minutes"))

    # 6. a straight-liner: 4 to every item of every grid (wave 2)
    row = _pick(w2, ordinary2, rng, taken2)
    for items in grids.values():
        for col in items:
            w2.at[row, col] = 4.0
    judged = [g for g, items in grids.items() if len(items) >= 5]
    log.append(
        (2, int(w2.at[row, "resp_id"]), "straightlining", ",".join(judged), "4 to every item")
    )

    # 7. an interviewer with an outlying share of "difficult to answer" (wave 2)
    log.append((2, None, "interviewer_dk", "interviewer", f"interviewer {OUTLIER_INTERVIEWER}"))
    return _error_log(log)


def _error_log(log: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(log, columns=["wave", "resp_id", "check", "item", "description"]).astype(
        {"resp_id": "Int64"}
    )


def questionnaire_grids(q: Questionnaire) -> dict[str, list[str]]:
    """Grid name -> its items, from a questionnaire."""
    grids: dict[str, list[str]] = {}
    for item in q.items.values():
        if item.grid:
            grids.setdefault(item.grid, []).append(item.name)
    return grids


def column_order(q: Questionnaire, frame: pd.DataFrame) -> list[str]:
    """The frame's columns in questionnaire order (columns the questionnaire lacks last)."""
    order = [c for name in q.items for c in q.columns_for(name) if c in frame.columns]
    return order + [c for c in frame.columns if c not in order]


def build_example(seed: int = DEFAULT_SEED) -> ExampleFrames:
    """All data of the example study for ``seed`` (same seed, same frames)."""
    from trustsurvey.questionnaire import instrument_path, load_questionnaire

    q = load_questionnaire(instrument_path("police_trust_core"))
    rng = np.random.default_rng(seed)
    grids = questionnaire_grids(q)
    waves = {w: _wave(w, rng, grids) for w in (1, 2)}
    errors = _inject_errors(waves, rng, grids)
    waves = {w: frame[column_order(q, frame)] for w, frame in waves.items()}
    protocol = load_questionnaire(instrument_path("focus_group_protocol"))
    themes = list(protocol.codebook.themes) if protocol.codebook else None
    groups, segments = focus_groups(rng, themes) if themes else focus_groups(rng)
    from trustsurvey.example.geography import communities
    from trustsurvey.example.programme import build_programme

    return ExampleFrames(
        waves=waves,
        errors=errors,
        margins=population_margins(),
        communities=communities(),
        groups=groups,
        segments=segments,
        programme=build_programme(seed),
    )


def build_study(
    plan: StudyPlan, seed: int = DEFAULT_SEED, *, progress: bool | None = None
) -> ExampleFrames:
    """All data of a study shaped by ``plan`` (same plan and seed, same frames).

    ``progress``: a progress bar on stderr over the waves (None: for national plans).
    """
    from tqdm import tqdm

    from trustsurvey.example.national import draw_national_sample
    from trustsurvey.example.programme import build_programme
    from trustsurvey.questionnaire import instrument_path, load_questionnaire

    q = load_questionnaire(instrument_path("police_trust_core"))
    rng = np.random.default_rng([seed, len(plan.waves), int(plan.national)])
    grids = questionnaire_grids(q)
    show = plan.national if progress is None else progress
    waves: dict[int, pd.DataFrame] = {}
    bar = tqdm(
        total=len(plan.waves) + int(plan.programme),
        desc="example: waves and records",
        unit="step",
        disable=not show,
        leave=False,
    )
    for i, wave in enumerate(plan.waves):
        sample = None
        if plan.national:
            sample = draw_national_sample(plan.geography, wave, rng, i * 10_000_000 + 1)
        waves[wave] = _wave(wave, rng, grids, sample, plan.exposure)
        bar.update()
    errors = _inject_errors(waves, rng, grids) if plan.errors and 1 in waves else _error_log([])
    if plan.arms != "pilot":
        waves = {w: f.drop(columns=["pilot"]) for w, f in waves.items()}
    waves = {w: frame[column_order(q, frame)] for w, frame in waves.items()}
    groups = segments = pd.DataFrame()
    if plan.focus_groups:
        protocol = load_questionnaire(instrument_path("focus_group_protocol"))
        themes = tuple(protocol.codebook.themes) if protocol.codebook else None
        groups, segments = focus_groups(rng, themes) if themes else focus_groups(rng)
    records = build_programme(seed, plan) if plan.programme else None
    bar.update(int(plan.programme))
    bar.close()
    return ExampleFrames(
        waves=waves,
        errors=errors,
        margins=population_margins(plan.waves, plan.geography),
        communities=plan.geography.communities,
        groups=groups,
        segments=segments,
        programme=records,
    )

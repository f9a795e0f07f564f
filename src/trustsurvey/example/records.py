"""Programme records of a generated study, drawn with array operations (national scale).

The same model as :mod:`trustsurvey.example.programme` (rates per community and month,
activity types, participants by sex and role, appeals per 1,000 adults, days to resolution,
pre/post test gains), drawn in whole arrays so that 1,469 communities take seconds. The
example itself keeps its row-by-row draws (its files do not change).

>>> import numpy as np
>>> from trustsurvey.example.programme import example_schedule
>>> from trustsurvey.example.geography import example_geography
>>> pop = example_geography().population()
>>> acts = activities(np.random.default_rng(1), dict(zip(pop.community, pop.population)),
...                   example_schedule())
>>> list(acts.columns)[:4]
['activity_id', 'date', 'community', 'type']
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.example.programme import (
    _FIRST,
    _LAST,
    CATEGORIES,
    GAIN,
    HOTLINE_OPEN,
    RATES,
    RESOLUTION_MEDIAN,
    TYPES_CONTROL,
    TYPES_PILOT,
    _months,
)

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.example.programme import Schedule


def _grid(plan: Schedule) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Communities, month starts (datetime64[D]) and the pilot flag per community."""
    names = list(plan.communities)
    months = np.array(_months(plan.end), dtype="datetime64[D]")
    pilot = np.array([plan.arm(c) == "pilot" for c in names])
    return names, months, pilot


def _period(plan: Schedule, names: list[str], months: np.ndarray) -> np.ndarray:
    """0 before the programme, 1 between, 2 after, per community (rows) and month."""
    start = np.array([plan.start[c] for c in names], dtype="datetime64[D]")[:, None]
    follow = np.array([plan.follow[c] for c in names], dtype="datetime64[D]")[:, None]
    m = months[None, :]
    return np.where(m <= start, 0, np.where(m < follow, 1, 2))


def _dates(values: np.ndarray) -> list[dt.date]:
    return pd.to_datetime(values).date.tolist() if len(values) else []


def activities(
    rng: np.random.Generator, population: dict[str, int], plan: Schedule
) -> pd.DataFrame:
    """The activities log: one row per activity (see the example's programme module)."""
    names, months, pilot = _grid(plan)
    period = _period(plan, names, months)
    rates = np.where(
        pilot[:, None],
        np.array(RATES["pilot"])[period],
        np.array(RATES["control"])[period],
    )
    size = np.sqrt(np.array([population[c] for c in names], float) / 10000)
    counts = rng.poisson(rates * size[:, None])
    who, when = np.nonzero(counts)
    reps = counts[who, when]
    who, when = np.repeat(who, reps), np.repeat(when, reps)
    n = len(who)
    day = months[when] + rng.integers(0, 28, size=n).astype("timedelta64[D]")
    kind = np.empty(n, dtype=object)
    for is_pilot, types in ((True, TYPES_PILOT), (False, TYPES_CONTROL)):
        rows = np.flatnonzero(pilot[who] == is_pilot)
        p = np.array(list(types.values()))
        kind[rows] = np.array(list(types))[rng.choice(len(types), size=len(rows), p=p / p.sum())]
    info = kind == "info_campaign"
    size_n = np.where(info, rng.integers(20, 80, size=n), rng.integers(8, 30, size=n))
    police_share = np.where(kind == "training_police", 0.9, 0.15)
    shares = np.stack(
        [police_share, 0.7 - police_share / 2, np.full(n, 0.1), np.full(n, 0.05)], axis=1
    )
    roles = rng.multinomial(size_n, shares / shares.sum(axis=1, keepdims=True))
    female = rng.binomial(size_n, np.where(kind == "training_police", 0.25, 0.6))
    frame = pd.DataFrame(
        {
            "date": _dates(day),
            "community": np.array(names, dtype=object)[who],
            "type": kind,
            "participants": size_n,
            "female": female,
            "male": size_n - female,
            "police": roles[:, 0],
            "residents": roles[:, 1],
            "officials": roles[:, 2],
            "ngo": roles[:, 3],
            "organiser": np.where(pilot[who], plan.organiser, "district police"),
            "notes": "",
        }
    ).sort_values(["date", "community"], kind="stable")
    frame.insert(0, "activity_id", [f"A{i:05d}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True)


def hotline(rng: np.random.Generator, population: dict[str, int], plan: Schedule) -> pd.DataFrame:
    """The hotline log: appeals per 1,000 adults a month, more where the programme runs."""
    names, months, pilot = _grid(plan)
    period = _period(plan, names, months)
    programme = pilot[:, None] & (period >= 1)
    open_ = months >= np.datetime64(HOTLINE_OPEN.replace(day=1), "D")
    adults = np.array([population[c] for c in names], float)[:, None]
    counts = rng.poisson(np.where(programme, 0.5, 0.1) * adults / 1000) * open_[None, :]
    who, when = np.nonzero(counts)
    reps = counts[who, when]
    who, when = np.repeat(who, reps), np.repeat(when, reps)
    n = len(who)
    received = months[when] + rng.integers(0, 28, size=n).astype("timedelta64[D]")
    median = np.where(
        programme[who, when], RESOLUTION_MEDIAN["pilot"], RESOLUTION_MEDIAN["control"]
    )
    days = np.ceil(rng.exponential(median / np.log(2))).astype(int)
    done = received + days.astype("timedelta64[D]")
    never = rng.random(size=n) < 0.08
    pending = done > np.datetime64(plan.end, "D")
    status = np.where(pending, "pending", np.where(never, "no", "yes"))
    cats = np.array(list(CATEGORIES))
    p = np.array(list(CATEGORIES.values()))
    resolved = pd.Series(_dates(done), dtype=object)
    resolved[pending] = None
    digits = rng.integers([100, 10, 10], [999, 99, 99], size=(n, 3))
    frame = pd.DataFrame(
        {
            "date_received": _dates(received),
            "community": np.array(names, dtype=object)[who],
            "channel": np.array(["phone", "online", "in_person"])[
                rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
            ],
            "category": cats[rng.choice(len(cats), size=n, p=p / p.sum())],
            "resolved": status,
            "date_resolved": resolved.to_numpy(),
            "caller_name": [
                f"{a} {b}"
                for a, b in zip(
                    np.array(_FIRST)[rng.integers(0, len(_FIRST), n)],
                    np.array(_LAST)[rng.integers(0, len(_LAST), n)],
                    strict=True,
                )
            ],
            "caller_phone": [f"+380 50 {a} {b} {c}" for a, b, c in digits],
        }
    ).sort_values(["date_received", "community"], kind="stable")
    frame.insert(0, "appeal_id", [f"H{i:06d}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True)


def trainings(rng: np.random.Generator, acts: pd.DataFrame) -> pd.DataFrame:
    """Pre/post (and for police, some follow-up) test scores of the trainings' participants."""
    trained = acts[acts["type"].isin(list(GAIN))]
    sizes = trained["participants"].to_numpy(int)
    ids = np.repeat(trained["activity_id"].to_numpy(object), sizes)
    kind = np.repeat(trained["type"].to_numpy(object), sizes)
    number = np.concatenate([np.arange(1, s + 1) for s in sizes]) if len(sizes) else np.array([])
    codes = [f"{a}-{i:02d}" for a, i in zip(ids, number, strict=True)]
    n = len(codes)
    gain = np.array([GAIN[k] for k in kind], float)
    pre = np.clip(rng.normal(55, 12, size=n), 0, 100)
    post = np.clip(pre + rng.normal(gain, 8), 0, 100)
    follow_up = (kind == "training_police") & (rng.random(size=n) < 0.4)
    follow = np.clip(pre + rng.normal(gain / 2, 8), 0, 100)
    parts = [
        pd.DataFrame({"training_id": ids, "participant": codes, "phase": "pre", "score": pre}),
        pd.DataFrame({"training_id": ids, "participant": codes, "phase": "post", "score": post}),
        pd.DataFrame(
            {
                "training_id": ids[follow_up],
                "participant": np.array(codes, dtype=object)[follow_up],
                "phase": "followup",
                "score": follow[follow_up],
            }
        ),
    ]
    out = pd.concat(parts, ignore_index=True)
    position = np.concatenate([np.arange(n), np.arange(n), np.flatnonzero(follow_up)])
    phase = np.repeat([0, 1, 2], [n, n, int(follow_up.sum())])
    out = out.iloc[np.lexsort((phase, position))].reset_index(drop=True)
    out["score"] = np.round(out["score"].to_numpy(float)).astype(int)
    return out

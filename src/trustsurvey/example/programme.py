"""Programme records of the example study: activities, a hotline log and training tests.

Consistent with the example's design: the pilot communities (Chuhuiv raion) get many
activities between the waves (round tables, trainings, advisory groups, "School and Police",
a hotline opened in May 2019), the control communities few. A separate random stream
(``default_rng([seed, 9])``) is used, so the survey files do not change. A handful of
deliberate errors are planted for validation to find (:data:`ERRORS_DOC`).

>>> frames = build_programme(seed=1)
>>> sorted(frames.activities["community"].isin(["kupianska"]).value_counts().index)
[False, True]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from trustsurvey.example.geography import COMMUNITIES, RAIONS, settlements

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.example.plan import StudyPlan

START, END = dt.date(2018, 6, 1), dt.date(2020, 12, 31)
WAVE1_END, WAVE2_START = dt.date(2019, 4, 12), dt.date(2020, 9, 7)
#: the oblast police hotline opens; the pilot promotes it from the end of wave 1
HOTLINE_OPEN = dt.date(2018, 9, 3)
FILES = {
    "activities": "programme/activities.csv",
    "hotline": "programme/hotline.csv",
    "trainings": "programme/trainings.csv",
    "population": "programme/population.csv",
    "errors": "programme/deliberate_errors.csv",
}
#: activities per month and community: (before wave 1, between waves, after wave 2)
RATES = {"pilot": (0.3, 2.5, 1.0), "control": (0.2, 0.3, 0.3)}
TYPES_PILOT = {
    "round_table": 0.15,
    "training_police": 0.15,
    "training_residents": 0.15,
    "training_officials": 0.05,
    "training_journalists": 0.03,
    "advisory_group": 0.15,
    "info_campaign": 0.07,
    "school_police": 0.15,
    "joint_patrol": 0.10,
}
TYPES_CONTROL = {"public_meeting": 0.4, "info_campaign": 0.3, "training_police": 0.3}
CATEGORIES = {
    "police_inaction": 0.18,
    "rudeness": 0.10,
    "corruption": 0.05,
    "slow_response": 0.17,
    "patrol_request": 0.20,
    "information_request": 0.20,
    "gratitude": 0.10,
}
#: median days to resolution, pilot and control
RESOLUTION_MEDIAN = {"pilot": 9.0, "control": 21.0}
#: knowledge-test gain (points of 100) of a training's participants
GAIN = {"training_police": 9.0, "training_residents": 6.0}
_FIRST = ("Олена", "Іван", "Марія", "Петро", "Наталія", "Андрій", "Ірина", "Сергій")
_LAST = ("Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник")


@dataclass
class ProgrammeFrames:
    """The example's programme tables and the manifest of planted errors."""

    activities: pd.DataFrame
    hotline: pd.DataFrame
    trainings: pd.DataFrame
    population: pd.DataFrame
    errors: pd.DataFrame


@dataclass(frozen=True)
class Schedule:
    """When each community runs the programme, and the period of the records.

    ``start[c]``: the day after which community ``c``'s programme runs (its rates switch
    from "before" to "between"); ``follow[c]``: when the last wave starts (rates switch to
    "after"); ``treated`` the communities with the programme.
    """

    communities: tuple[str, ...]
    treated: frozenset[str]
    start: dict[str, dt.date]
    follow: dict[str, dt.date]
    end: dt.date = END
    organiser: str = "Chuhuiv raion police"
    pilot: str = "chuhuivska"

    def arm(self, community: str) -> str:
        return "pilot" if community in self.treated else "control"

    def rate(self, community: str, day: dt.date) -> float:
        before, between, after = RATES[self.arm(community)]
        start, follow = self.start[community], self.follow[community]
        return before if day <= start else between if day < follow else after


def example_schedule() -> Schedule:
    """The example's: the pilot raion's communities from the end of wave 1."""
    names = tuple(COMMUNITIES)
    return Schedule(
        communities=names,
        treated=frozenset(c for c in names if RAIONS[COMMUNITIES[c][0]][2] == "pilot"),
        start=dict.fromkeys(names, WAVE1_END),
        follow=dict.fromkeys(names, WAVE2_START),
    )


def plan_schedule(plan: StudyPlan) -> Schedule:
    """The schedule of a generated study: each community from the end of the wave before
    its first treated wave; records until two months after the last wave."""
    from trustsurvey.example.generator import fieldwork

    names = tuple(plan.geography.communities["community"])
    first = {c: plan.treated_from(c) for c in names}
    wave1_end = fieldwork(plan.waves[0])[1]
    last_start, last_end = fieldwork(plan.waves[-1])
    end = last_end + dt.timedelta(days=61)
    start = {}
    for c in names:
        w = first[c]
        before = plan.waves[plan.waves.index(w) - 1] if w in plan.waves else None
        start[c] = fieldwork(before)[1] if before is not None else wave1_end
    treated = frozenset(c for c in names if first[c] is not None)
    window = {c: max(last_start, start[c] + dt.timedelta(days=90)) for c in names}
    sizes = plan.geography.population().set_index("community")["population"]
    pilot = max(sorted(treated), key=lambda c: int(sizes[c])) if treated else names[0]
    return Schedule(
        communities=names,
        treated=treated,
        start=start,
        follow=window if len(plan.waves) > 1 else dict.fromkeys(names, end),
        end=dt.date(end.year, 12, 31) if end.month == 12 else end,
        organiser="programme police team",
        pilot=pilot,
    )


def _months(end: dt.date = END) -> list[dt.date]:
    out, d = [], START
    while d <= end:
        out.append(d)
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _split(total: int, shares: list[float], rng: np.random.Generator) -> list[int]:
    return [int(v) for v in rng.multinomial(total, np.asarray(shares) / sum(shares))]


def _activities(
    rng: np.random.Generator, population: dict[str, int], plan: Schedule
) -> pd.DataFrame:
    rows = []
    months = _months(plan.end)
    for community in plan.communities:
        arm = plan.arm(community)
        size = (population[community] / 10000) ** 0.5
        types = TYPES_PILOT if arm == "pilot" else TYPES_CONTROL
        for month in months:
            for _ in range(int(rng.poisson(plan.rate(community, month) * size))):
                day = month + dt.timedelta(days=int(rng.integers(0, 28)))
                kind = str(
                    rng.choice(list(types), p=np.array(list(types.values())) / sum(types.values()))
                )
                n = (
                    int(rng.integers(8, 30))
                    if kind != "info_campaign"
                    else int(rng.integers(20, 80))
                )
                police_share = 0.9 if kind == "training_police" else 0.15
                roles = _split(n, [police_share, 0.7 - police_share / 2, 0.1, 0.05], rng)
                female = int(rng.binomial(n, 0.25 if kind == "training_police" else 0.6))
                rows.append(
                    {
                        "date": day,
                        "community": community,
                        "type": kind,
                        "participants": n,
                        "female": female,
                        "male": n - female,
                        "police": roles[0],
                        "residents": roles[1],
                        "officials": roles[2],
                        "ngo": roles[3],
                        "organiser": plan.organiser if arm == "pilot" else "district police",
                        "notes": "",
                    }
                )
    frame = pd.DataFrame(rows).sort_values(["date", "community"], kind="stable")
    frame.insert(0, "activity_id", [f"A{i:04d}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True)


def _hotline(rng: np.random.Generator, population: dict[str, int], plan: Schedule) -> pd.DataFrame:
    rows = []
    cats = list(CATEGORIES)
    p = np.array(list(CATEGORIES.values()))
    months = _months(plan.end)
    for community in plan.communities:
        arm = plan.arm(community)
        for month in months:
            if month < HOTLINE_OPEN.replace(day=1):
                continue
            programme = arm == "pilot" and month > plan.start[community]
            per_1000 = 0.5 if programme else 0.1
            for _ in range(int(rng.poisson(per_1000 * population[community] / 1000))):
                received = month + dt.timedelta(days=int(rng.integers(0, 28)))
                median = RESOLUTION_MEDIAN["pilot" if programme else "control"]
                days = float(rng.exponential(median / np.log(2)))
                done = received + dt.timedelta(days=int(np.ceil(days)))
                never = rng.random() < 0.08
                if done > plan.end:
                    status, resolved_on = "pending", None
                elif never:
                    status, resolved_on = "no", done
                else:
                    status, resolved_on = "yes", done
                rows.append(
                    {
                        "date_received": received,
                        "community": community,
                        "channel": str(
                            rng.choice(["phone", "online", "in_person"], p=[0.6, 0.3, 0.1])
                        ),
                        "category": str(rng.choice(cats, p=p / p.sum())),
                        "resolved": status,
                        "date_resolved": resolved_on,
                        "caller_name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                        "caller_phone": f"+380 50 {int(rng.integers(100, 999))} "
                        f"{int(rng.integers(10, 99))} {int(rng.integers(10, 99))}",
                    }
                )
    frame = pd.DataFrame(rows).sort_values(["date_received", "community"], kind="stable")
    frame.insert(0, "appeal_id", [f"H{i:05d}" for i in range(1, len(frame) + 1)])
    return frame.reset_index(drop=True)


def _trainings(rng: np.random.Generator, activities: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for a in activities[activities["type"].isin(list(GAIN))].itertuples():
        for i in range(1, int(a.participants) + 1):
            code = f"{a.activity_id}-{i:02d}"
            pre = float(np.clip(rng.normal(55, 12), 0, 100))
            post = float(np.clip(pre + rng.normal(GAIN[a.type], 8), 0, 100))
            rows += [
                (a.activity_id, code, "pre", round(pre)),
                (a.activity_id, code, "post", round(post)),
            ]
            if a.type == "training_police" and rng.random() < 0.4:
                follow = float(np.clip(pre + rng.normal(GAIN[a.type] / 2, 8), 0, 100))
                rows.append((a.activity_id, code, "followup", round(follow)))
    return pd.DataFrame(rows, columns=["training_id", "participant", "phase", "score"])


def _population() -> pd.DataFrame:
    adults = settlements().groupby("community", sort=False)["adults"].sum()
    return pd.DataFrame({"community": adults.index, "population": adults.to_numpy()})


def _plant(f: ProgrammeFrames, rng: np.random.Generator, plan: Schedule) -> None:
    acts, hot, tr = f.activities, f.hotline, f.trainings
    log = []
    pilot_between = acts.index[
        (acts["community"] == plan.pilot)
        & (acts["date"] > plan.start[plan.pilot])
        & (acts["date"] < plan.follow[plan.pilot])
    ]
    if len(pilot_between) < 5:  # a small generated study: plant in any community
        pilot_between = acts.index
    picks = [int(i) for i in rng.choice(pilot_between, size=4, replace=False)]
    # 1. a community outside the study
    acts.at[picks[0], "community"] = "kupianska"
    log.append(
        (
            "activities",
            acts.at[picks[0], "activity_id"],
            "unknown_community",
            "community",
            "kupianska",
        )
    )
    # 2. a negative participant count (breakdown left blank)
    acts.loc[picks[1], ["female", "male", "police", "residents", "officials", "ngo"]] = pd.NA
    acts.at[picks[1], "participants"] = -12
    log.append(
        ("activities", acts.at[picks[1], "activity_id"], "negative_count", "participants", "-12")
    )
    # 3. participants by sex do not add up to the total
    acts.at[picks[2], "female"] = int(acts.at[picks[2], "female"]) + 5
    log.append(
        (
            "activities",
            acts.at[picks[2], "activity_id"],
            "count_mismatch",
            "participants",
            "female + 5",
        )
    )
    # 4. a date typed with the wrong year (outside the study period)
    acts.at[picks[3], "date"] = acts.at[picks[3], "date"].replace(year=2010)
    log.append(
        ("activities", acts.at[picks[3], "activity_id"], "date_outside_period", "date", "year 2010")
    )
    # 5. a duplicated activity row (same id entered twice)
    dup = acts.loc[[pilot_between[-1]]]
    f.activities = acts = pd.concat([acts, dup], ignore_index=True)
    log.append(
        ("activities", dup["activity_id"].iloc[0], "duplicate_id", "activity_id", "entered twice")
    )
    # 6. a hotline category not in the vocabulary
    pilot = hot.index[(hot["community"] == plan.pilot) & (hot["resolved"] == "yes")]
    if len(pilot) < 2:
        pilot = hot.index[hot["resolved"] == "yes"]
    h = [int(i) for i in rng.choice(pilot, size=2, replace=False)]
    hot.at[h[0], "category"] = "threats"
    log.append(("hotline", hot.at[h[0], "appeal_id"], "unknown_code", "category", "threats"))
    # 7. resolved before it was received
    hot.at[h[1], "date_resolved"] = hot.at[h[1], "date_received"] - dt.timedelta(days=3)
    log.append(
        (
            "hotline",
            hot.at[h[1], "appeal_id"],
            "resolved_before_received",
            "date_resolved",
            "3 days before",
        )
    )
    # 8. a participant code present only in the post-test (mistyped code)
    post = tr.index[tr["phase"] == "post"]
    if len(post):  # a small generated study may hold no training
        i = int(rng.choice(post))
        code = tr.at[i, "participant"]
        tr.at[i, "participant"] = code + "X"
        tr = tr.drop(index=tr.index[(tr["participant"] == code) & (tr["phase"] == "pre")])
        f.trainings = tr.reset_index(drop=True)
        log.append(
            (
                "trainings",
                code + "X",
                "post_only",
                "participant",
                f"mistyped {code}; its pre-test lost",
            )
        )
    counts = ["participants", "female", "male", "police", "residents", "officials", "ngo"]
    f.activities = acts.astype({c: "Int64" for c in counts})
    f.errors = pd.DataFrame(log, columns=["file", "id", "check", "item", "description"])


def build_programme(seed: int, study: StudyPlan | None = None) -> ProgrammeFrames:
    """The programme records for ``seed`` (same seed, same records).

    ``study``: a generated study's plan (default: the example's pilot and control raions).
    """
    rng = np.random.default_rng([seed, 9])
    pop = _population() if study is None else study.geography.population()
    plan = example_schedule() if study is None else plan_schedule(study)
    population = dict(zip(pop["community"], pop["population"], strict=True))
    if study is None:
        acts = _activities(rng, population, plan)
        frames = ProgrammeFrames(
            acts, _hotline(rng, population, plan), _trainings(rng, acts), pop, pd.DataFrame()
        )
    else:
        from trustsurvey.example import records

        acts = records.activities(rng, population, plan)
        frames = ProgrammeFrames(
            acts,
            records.hotline(rng, population, plan),
            records.trainings(rng, acts),
            pop,
            pd.DataFrame(),
        )
    _plant(frames, rng, plan)
    return frames


STUDY_YAML = f"""programme:
  activities: {FILES["activities"]}
  hotline: {FILES["hotline"]}
  trainings: {FILES["trainings"]}
  population: {FILES["population"]}
"""


def write_programme(frames: ProgrammeFrames, folder: Path) -> None:
    """Write the programme CSVs into the example folder (each atomically)."""
    from trustsurvey._files import atomic_write_csv as write_csv

    for key in ("activities", "hotline", "trainings", "population", "errors"):
        write_csv(folder / FILES[key], getattr(frames, key))


def readme_section(frames: ProgrammeFrames) -> str:
    """The README section on the programme records and their planted errors."""
    errors = "\n".join(
        f"| {r.file} | {r.id} | `{r.check}` | {r.item} | {r.description} |"
        for r in frames.errors.itertuples()
    )
    return f"""
## Programme records (`programme/`)
- `activities.csv`: {len(frames.activities)} activities {START}..{END} (id, date, community, type,
  participants by sex and role, organiser, notes). Pilot communities get ~{RATES["pilot"][1]} a
  month (scaled by size) between the waves, control communities ~{RATES["control"][1]}.
- `hotline.csv`: {len(frames.hotline)} appeals from {HOTLINE_OPEN}: ~0.1 per 1,000 adults a
  month everywhere, ~0.5 in the pilot communities after wave 1 (the programme promotes the
  hotline); median days to resolution {RESOLUTION_MEDIAN["control"]:g}, and
  {RESOLUTION_MEDIAN["pilot"]:g} in the pilot after wave 1; appeals open on {END} are `pending`.
  `caller_name` and `caller_phone` are (synthetic) personal data: trustsurvey drops them on reading.
- `trainings.csv`: pre/post knowledge tests (0-100) of trainings for police (true gain
  +{GAIN["training_police"]:g}, a follow-up for ~40%) and residents
  (+{GAIN["training_residents"]:g}).
- `population.csv`: adults per community (for rates per 1,000 residents).

Deliberate errors in the programme records (programme validation must find each, and
nothing else; `programme/deliberate_errors.csv` lists them):

| file | id | check | item | what |
|---|---|---|---|---|
{errors}
"""

"""What a generated study looks like: its shape, waves, arms, geography and files.

A :class:`StudyPlan` is all the generator needs besides the seed; :mod:`.shapes` makes one
per shape (``renamed``, ``one-wave``, ``no-arms``, ``staggered``) and for the national scale
(``--communities N --waves W``).

>>> from trustsurvey.example.geography import example_geography
>>> plan = StudyPlan(shape="no-arms", waves=(1, 2), geography=example_geography(), arms="none")
>>> plan.wave_file(2), plan.period(1), plan.period(2)
('data/wave2.sav', 'baseline', 'follow-up')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trustsurvey.example.geography import Geography
from trustsurvey.example.responses import EFFECT, TREND, Exposure

ARM_MODES = ("pilot", "none", "staggered")


@dataclass(frozen=True)
class StudyPlan:
    """The shape of one generated study.

    ``arms``: ``pilot`` (pilot and control communities, the programme from wave 2),
    ``none`` (every community gets the programme from wave 2, no arms in study.yaml) or
    ``staggered`` (``first_treated``: community -> first wave with the programme, ``None``
    for never; the true effect of a cohort is ``cohort_effects[first wave]``).
    """

    shape: str
    waves: tuple[int, ...]
    geography: Geography
    arms: str = "pilot"
    first_treated: dict[str, int | None] = field(default_factory=dict)
    cohort_effects: dict[int, float] = field(default_factory=dict)
    kobo_waves: frozenset[int] = frozenset()
    national: bool = False
    errors: bool = True
    focus_groups: bool = False
    programme: bool = True
    firm_names: bool = False

    def __post_init__(self) -> None:
        if self.arms not in ARM_MODES:
            raise ValueError(f"arms must be one of {ARM_MODES}, not {self.arms!r}")

    def wave_file(self, wave: int) -> str:
        """The wave's data file, relative to the study folder."""
        if wave in self.kobo_waves:
            return f"data/wave{wave}_kobo.csv"
        return f"data/wave{wave}.sav"

    def period(self, wave: int) -> str:
        """``baseline`` for the first wave, ``follow-up`` after."""
        return "baseline" if wave == self.waves[0] else "follow-up"

    def treated_from(self, community: str) -> int | None:
        """The first wave ``community`` runs the programme (None: never)."""
        if self.arms == "staggered":
            return self.first_treated.get(community)
        if self.arms == "none" or self.geography.arm(community) == "pilot":
            return self.waves[1] if len(self.waves) > 1 else None
        return None

    def exposure(self, frame: pd.DataFrame) -> Exposure:
        """True effects per respondent: the trend since wave 1 and the cohort's effect."""
        wave = frame["wave"].to_numpy()
        first = frame["community"].map(
            {c: self.treated_from(c) for c in self.geography.communities["community"]}
        )
        start = first.fillna(np.inf).to_numpy(float)
        if self.arms == "staggered":
            size = first.map(lambda w: self.cohort_effects.get(w, 0.0) if pd.notna(w) else 0.0)
        else:
            size = pd.Series(EFFECT, index=frame.index)
        effect = np.where(wave >= start, size.to_numpy(float), 0.0)
        position = np.searchsorted(np.asarray(self.waves), wave)
        area = frame["raion"].map(self.geography.raion_term).to_numpy(float)
        return Exposure(effect=effect, trend=TREND * position, area=area)

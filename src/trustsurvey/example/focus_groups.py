"""Focus-group records of the example: groups and coded segments (two coders on a subset).

Eight groups (four in pilot communities, four in control communities) held after the
follow-up survey. Each transcript is cut into segments; coder ``A`` codes every group,
coder ``B`` independently codes groups FG01, FG02, FG05 and FG06 (for Krippendorff's
alpha). B agrees with A's theme about 80% and valence about 85% of the time. In pilot
groups, segments on visibility, respect and responsiveness lean positive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: theme codes used when the codebook is not given (a subset of focus_group_protocol's)
THEMES = (
    "responsiveness",
    "respect",
    "corruption",
    "visibility",
    "school_police",
    "hotline",
    "trust",
    "safety",
    "cooperation",
)
#: themes on which pilot groups lean positive
PILOT_POSITIVE = {"responsiveness", "response_time", "respect", "visibility", "community_officer"}
#: valence codes of the codebook's scale (negative, neutral, positive)
VALENCE = (-1, 0, 1)
DOUBLE_CODED = ("FG01", "FG02", "FG05", "FG06")

_GROUPS = [
    ("FG01", "chuhuivska", "pilot", "2020-10-06", 8, "mixed adults"),
    ("FG02", "malynivska", "pilot", "2020-10-08", 7, "older residents (60+)"),
    ("FG03", "novopokrovska", "pilot", "2020-10-13", 9, "young people (18-29)"),
    ("FG04", "chkalovska", "pilot", "2020-10-15", 6, "parents and school staff"),
    ("FG05", "zmiivska", "control", "2020-10-20", 8, "mixed adults"),
    ("FG06", "balakliiska", "control", "2020-10-22", 7, "older residents (60+)"),
    ("FG07", "iziumska", "control", "2020-10-27", 9, "young people (18-29)"),
    ("FG08", "oskilska", "control", "2020-10-29", 6, "parents and school staff"),
]


def focus_groups(
    rng: np.random.Generator, themes: tuple[str, ...] = THEMES
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``groups`` and ``segments`` tables."""
    groups = pd.DataFrame(
        _GROUPS, columns=["id", "community", "arm", "date", "participants", "composition"]
    )
    rows = []
    for gid, _, arm, *_rest in _GROUPS:
        n_seg = int(rng.integers(18, 27))
        for seg in range(1, n_seg + 1):
            theme = themes[int(rng.integers(len(themes)))]
            positive = 0.55 if arm == "pilot" and theme in PILOT_POSITIVE else 0.25
            p = [0.75 - positive, 0.25, positive] if positive < 0.5 else [0.15, 0.30, 0.55]
            valence = VALENCE[int(rng.choice(3, p=np.array(p) / sum(p)))]
            rows.append((gid, seg, "A", theme, valence))
            if gid in DOUBLE_CODED:
                theme_b = theme if rng.uniform() < 0.8 else themes[int(rng.integers(len(themes)))]
                val_b = valence if rng.uniform() < 0.85 else VALENCE[int(rng.integers(3))]
                rows.append((gid, seg, "B", theme_b, val_b))
    segments = pd.DataFrame(rows, columns=["group", "segment", "coder", "theme", "valence"])
    return groups, segments

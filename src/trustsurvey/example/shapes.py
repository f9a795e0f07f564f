"""The study shapes ``trustsurvey example --shape`` writes, and the national scale.

``renamed``
    The example's two waves as a fieldwork firm's SPSS files (:mod:`.firm`): own variable
    names, Ukrainian labels only, 98/99 missing codes. No study.yaml or questionnaire at the
    top: ``trustsurvey init`` drafts them. ``ready/`` holds a finished questionnaire and
    study.yaml for the same files.
``one-wave``
    A baseline alone (pilot and control communities, no follow-up).
``no-arms``
    Two waves, every community runs the programme from wave 2; no ``arms:`` in study.yaml
    (and no programme records, whose analysis compares pilot and control communities).
``staggered``
    Three waves; the Chuhuiv raion's communities join the programme at wave 2, Zmiiv's and
    Balakliia's at wave 3, Izium's never (``arms.first_treated``); the true effect differs
    by cohort. Wave 3 is a KoboToolbox CSV export.

:func:`national_plan` makes a study of N communities and W waves shaped like the example.

>>> shape_plan("staggered").first_treated["iziumska"] is None
True
"""

from __future__ import annotations

import numpy as np

from trustsurvey.example.geography import COMMUNITIES, example_geography
from trustsurvey.example.plan import StudyPlan

SHAPES = ("renamed", "one-wave", "no-arms", "staggered")
#: first treated wave per raion of the example, in the staggered shape
STAGGER = {1: 2, 2: 3, 3: 3, 4: None}
#: true effect on the expected trust_police answer, per first treated wave (cohort)
COHORT_EFFECTS = {2: 0.35, 3: 0.15}
#: largest national study
MAX_COMMUNITIES = 5000
MAX_WAVES = 9


def shape_plan(shape: str) -> StudyPlan:
    """The plan of one named shape (see the module's docstring)."""
    geo = example_geography()
    if shape == "renamed":
        return StudyPlan(shape, (1, 2), geo, programme=False, firm_names=True)
    if shape == "one-wave":
        return StudyPlan(shape, (1,), geo, programme=False)
    if shape == "no-arms":
        return StudyPlan(shape, (1, 2), geo, arms="none", programme=False)
    if shape == "staggered":
        first = {c: STAGGER[raion] for c, (raion, _, _) in COMMUNITIES.items()}
        return StudyPlan(
            shape,
            (1, 2, 3),
            geo,
            arms="staggered",
            first_treated=first,
            cohort_effects=dict(COHORT_EFFECTS),
            kobo_waves=frozenset({3}),
        )
    raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")


def national_plan(communities: int, waves: int, seed: int) -> StudyPlan:
    """N communities in raions of ten, W waves, about a third of the communities pilot."""
    from trustsurvey.example.national import national_geography

    geo = national_geography(communities, np.random.default_rng([seed, 77, communities]))
    return StudyPlan("national", tuple(range(1, waves + 1)), geo, national=True, errors=False)

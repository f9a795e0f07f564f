"""Study settings: ``study.yaml`` naming a questionnaire, data files per wave, the sampling
design, pilot and control communities, population margins, focus groups and publishing rules
(the pipeline that runs a study is :mod:`trustsurvey.run`; this package never imports it).

The format (paths are relative to the study folder; ``trustsurvey example DIR`` writes a
complete one)::

    name: chuhuiv_example                  # required: short identifier
    title: {uk: ..., en: ...}              # text or {uk, en}
    questionnaire: police_trust_core       # required: bundled name or a path (q.yaml)
    waves:                                 # required: one entry per data file
      - code: 1                            # the code the wave column holds
        file: data/wave1_baseline.sav      # .sav .zsav .por .csv .xlsx .parquet
        label: {uk: Базова хвиля, en: Baseline}
        period: baseline                   # baseline | follow-up
        fieldwork: {start: 2019-03-04, end: 2019-04-12}
        encoding: cp1251                   # optional, for files that do not declare one
    design:                                # required: column names (R svydesign)
      ids: psu                             # PSU column, a list for multistage, or 1
      strata: stratum
      weights: pw
      fpc: null
      nest: true                           # PSU codes repeat across strata
    arms:                                  # pilot vs control
      treatment: pilot                     # 0/1 column ...
      pilot_code: 1
      community: community                 # ... and/or a community -> arm table
      communities: communities.csv         # CSV with community, arm (pilot|control),
                                           # or an inline mapping {community: arm}
    margins:                               # population margins for weighting
      file: margins.csv                    # or rows: [{margin: gender, gender: 1, target: 0.4}]
      kind: counts                         # counts | shares
      by: [wave, raion]                    # margins given per group
    focus_groups:
      groups: focus_groups/groups.csv      # id, community, arm, date, participants, composition
      segments: focus_groups/segments.csv  # group, segment, coder, theme, valence
      codebook: focus_group_protocol       # instrument holding the theme codebook
    validation:
      exclude: [duplicate, hard_error]     # checks whose respondents `clean` removes
      speeder_fraction: 0.333              # speeder: duration < fraction x median
      straightline_min_items: 5
      interviewer_z: 3.29
      interviewer_min_interviews: 20
    publish: {min_cell: 30, max_cv: 0.3, languages: [uk, en]}

Margins CSV (tidy): the ``by`` columns, ``margin`` (variables joined by ``*``:
``gender*age_cat``, ``settl_type``), one column per variable with the cell's code (blank where
the margin does not use it) and ``target``. ``study.margins.margins_for(wave=1, raion=2)``
gives ``{("gender", "age_cat"): {(1, 1): n, ...}, "settl_type": {1: n, 2: n}}``.

:func:`load_study` checks all of it and raises :class:`~trustsurvey.errors.StudyError` naming
``study.yaml``, the key path (``waves[1].file``) and its line: YAML syntax errors (line and
column), unknown keys (with a "did you mean"), wrong types or values, files that do not exist,
duplicate wave codes, design / arm / margin columns the questionnaire lacks, margin codes
that are not the questionnaire's codes.

>>> import tempfile
>>> from trustsurvey.example import generate_example
>>> study = load_study(generate_example(tempfile.mkdtemp() + "/s"))
>>> study.design.kwargs()["strata"], study.publish.min_cell
('stratum', 30)
"""

from __future__ import annotations

from trustsurvey.study.loader import load_study
from trustsurvey.study.model import (
    ArmsSpec,
    DesignSpec,
    FocusGroupSpec,
    MarginsSpec,
    PublishSpec,
    Study,
    ValidationSettings,
    Wave,
)

__all__ = [
    "ArmsSpec",
    "DesignSpec",
    "FocusGroupSpec",
    "MarginsSpec",
    "PublishSpec",
    "Study",
    "ValidationSettings",
    "Wave",
    "load_study",
]

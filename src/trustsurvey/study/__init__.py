"""Study folders: ``study.yaml`` naming a questionnaire, data files per wave, the sampling
design, pilot and control communities, population margins, focus groups and publishing rules.

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
    "read_study_data",
    "run_study",
]


def __getattr__(name: str):  # lazy: the pipeline pulls in the statistics stack
    if name == "run_study":
        from trustsurvey.study.pipeline import run_study

        return run_study
    if name == "read_study_data":
        from trustsurvey.study.data import read_study_data

        return read_study_data
    raise AttributeError(name)

"""The bundled example study: synthetic, reproducible, with planted errors.

A Chuhuiv-like pilot raion and three control raions of Kharkiv oblast, a stratified
two-stage sample, baseline and follow-up waves of ~2,000 respondents each as SPSS files with
Ukrainian labels, a known programme effect (+0.25 on the 1-5 trust scale), population
margins, focus-group records and a handful of deliberate data errors for validation to find.
The folder's README documents all of it.

>>> import tempfile
>>> folder = generate_example(tempfile.mkdtemp() + "/study", seed=1)
>>> sorted(p.name for p in folder.iterdir())[:3]
['README.md', 'communities.csv', 'data']
"""

from __future__ import annotations

from pathlib import Path

from trustsurvey.errors import StudyError
from trustsurvey.example.generator import DEFAULT_SEED, ExampleFrames, build_example

__all__ = ["DEFAULT_SEED", "ExampleFrames", "build_example", "generate_example"]


def generate_example(folder: str | Path, seed: int = DEFAULT_SEED, *, force: bool = False) -> Path:
    """Write the example study into ``folder`` and return its path.

    Parameters
    ----------
    folder
        Target folder; created if needed. An existing ``study.yaml`` there is only replaced
        with ``force=True``.
    seed
        Random seed; the same seed gives the same data.
    force
        Overwrite an existing example study.
    """
    from trustsurvey.example.writer import write_example

    path = Path(folder)
    if (path / "study.yaml").exists() and not force:
        raise StudyError(
            "a study already exists here",
            file=path / "study.yaml",
            hint="choose another folder, or pass --force (force=True) to overwrite it",
        )
    if path.exists() and not path.is_dir():
        raise StudyError("is a file, not a folder", file=path, hint="choose a folder path")
    return write_example(build_example(seed), path, seed)

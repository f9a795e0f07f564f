"""The bundled example study: synthetic, reproducible, with planted errors.

A Chuhuiv-like pilot raion and three control raions of Kharkiv oblast, a stratified
two-stage sample, baseline and follow-up waves of ~2,000 respondents each as SPSS files with
Ukrainian labels, a known programme effect (+0.25 on the 1-5 trust scale), population
margins, focus-group records and a handful of deliberate data errors for validation to find.
The folder's README documents all of it.

>>> import tempfile
>>> folder = generate_example(tempfile.mkdtemp() + "/study", seed=1)
>>> sorted(p.name for p in folder.iterdir())[:3]
['README.md', 'area_covariates.csv', 'communities.csv']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trustsurvey.errors import StudyError
from trustsurvey.example.generator import DEFAULT_SEED, ExampleFrames, build_example

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.example.plan import StudyPlan

__all__ = ["DEFAULT_SEED", "ExampleFrames", "build_example", "generate_example"]


def generate_example(
    folder: str | Path,
    seed: int = DEFAULT_SEED,
    *,
    force: bool = False,
    shape: str | None = None,
    communities: int | None = None,
    waves: int | None = None,
    progress: bool | None = None,
) -> Path:
    """Write the example study (or a study of another shape) into ``folder``.

    Parameters
    ----------
    folder
        Target folder; created if needed. An existing study there is only replaced with
        ``force=True``.
    seed
        Random seed; the same seed gives the same data.
    force
        Overwrite an existing example study.
    shape
        None for the example (two waves, pilot and control), or one of
        :data:`~trustsurvey.example.shapes.SHAPES`: ``renamed``, ``one-wave``, ``no-arms``,
        ``staggered``.
    communities, waves
        A national-scale study shaped like the example: N communities (2 to 5,000) and W
        waves (1 to 9; default 2). Not with ``shape``.
    progress
        A progress bar on stderr (None: for national-scale studies).
    """
    from trustsurvey.example.writer import write_example

    path = Path(folder)
    plan = _plan(shape, communities, waves, seed)
    marker = path / ("README.md" if plan is not None and plan.firm_names else "study.yaml")
    if marker.exists() and not force:
        raise StudyError(
            "a study already exists here",
            file=marker,
            hint="choose another folder, or pass --force (force=True) to overwrite it",
        )
    if path.exists() and not path.is_dir():
        raise StudyError("is a file, not a folder", file=path, hint="choose a folder path")
    if plan is None:
        return write_example(build_example(seed), path, seed)
    from trustsurvey.example.generator import build_study
    from trustsurvey.example.writer import write_study

    frames = build_study(plan, seed, progress=progress)
    return write_study(frames, plan, path, seed, progress=progress)


def _plan(
    shape: str | None, communities: int | None, waves: int | None, seed: int
) -> StudyPlan | None:
    from trustsurvey.example.shapes import (
        MAX_COMMUNITIES,
        MAX_WAVES,
        SHAPES,
        national_plan,
        shape_plan,
    )

    if shape is not None and (communities is not None or waves is not None):
        raise StudyError(
            "a shape and --communities/--waves do not go together",
            item="shape",
            hint="give either --shape, or --communities N [--waves W]",
        )
    if shape is not None:
        if shape not in SHAPES:
            raise StudyError(
                f"unknown shape {shape!r}", item="shape", hint="use one of: " + ", ".join(SHAPES)
            )
        return shape_plan(shape)
    if communities is None and waves is None:
        return None
    n = 12 if communities is None else communities
    w = 2 if waves is None else waves
    if not 2 <= n <= MAX_COMMUNITIES:
        raise StudyError(
            f"{n} communities is out of range",
            item="communities",
            hint=f"give 2 to {MAX_COMMUNITIES} communities (Ukraine has 1,469 hromadas)",
        )
    if not 1 <= w <= MAX_WAVES:
        raise StudyError(
            f"{w} waves is out of range", item="waves", hint=f"give 1 to {MAX_WAVES} waves"
        )
    return national_plan(n, w, seed)

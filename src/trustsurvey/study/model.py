"""The checked contents of a study folder: waves, design, arms, margins, focus groups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from trustsurvey._settings import setting
from trustsurvey.publish.policy import PublishSettings

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Questionnaire
    from trustsurvey.study.plan import AnalysisPlan


@dataclass(frozen=True)
class Wave:
    """One data file of the study: wave code, labels, period and fieldwork dates."""

    code: int
    file: Path
    label: dict[str, str]
    period: str  # "baseline" | "follow-up"
    fieldwork_start: dt.date | None = None
    fieldwork_end: dt.date | None = None
    encoding: str | None = None
    #: the XLSForm of a Kobo/ODK/Ona export (the file is read with it)
    form: Path | None = None


@dataclass(frozen=True)
class DesignSpec:
    """Column names of the sampling design, as R's ``svydesign(ids=, strata=, ...)``."""

    ids: tuple[str, ...]  # () means no clustering (ids = ~1)
    strata: str | None = None
    weights: str | None = None
    fpc: str | None = None
    nest: bool = False

    def columns(self) -> list[str]:
        """Every data column the design names."""
        cols = [*self.ids, self.strata, self.weights, self.fpc]
        return [c for c in cols if c]

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``trustsurvey.design.SurveyDesign``."""
        ids: str | list[str] | None
        ids = None if not self.ids else (self.ids[0] if len(self.ids) == 1 else list(self.ids))
        return {
            "ids": ids,
            "strata": self.strata,
            "weights": self.weights,
            "fpc": self.fpc,
            "nest": self.nest,
        }


@dataclass(frozen=True)
class ArmsSpec:
    """Which communities are pilot and which control.

    ``treatment`` names a 0/1 column (``pilot_code`` = pilot); ``communities`` is a table
    ``community, arm`` (arm ``pilot`` or ``control``) used when the column is absent or to
    check it.
    """

    treatment: str | None = None
    pilot_code: int = 1
    community: str | None = None
    communities: pd.DataFrame | None = None
    communities_file: Path | None = None
    #: staggered adoption: community code -> first treated wave (None: never treated)
    first_treated: dict[Any, int | None] | None = None

    def arm_of(self, frame: pd.DataFrame) -> pd.Series:
        """``pilot`` / ``control`` per row, from the treatment column, the community table, or
        (staggered adoption) whether the community is ever treated."""
        if self.first_treated is not None and self.community and self.community in frame.columns:
            ever = {k: ("control" if w is None else "pilot") for k, w in self.first_treated.items()}
            mapped = frame[self.community].map(lambda k: ever.get(_code_key(k), pd.NA))
            return mapped.astype("object")
        if self.treatment and self.treatment in frame.columns:
            values = pd.to_numeric(frame[self.treatment], errors="coerce")
            arm = pd.Series(pd.NA, index=frame.index, dtype="object")
            arm[values == self.pilot_code] = "pilot"
            arm[values.notna() & (values != self.pilot_code)] = "control"
            return arm
        if self.communities is not None and self.community and self.community in frame.columns:
            table = self.communities.set_index("community")["arm"]
            keys = frame[self.community]
            mapped = keys.map(lambda k: table.get(_code_key(k), pd.NA))
            return mapped.astype("object")
        return pd.Series(pd.NA, index=frame.index, dtype="object")


def _code_key(value: Any) -> Any:
    """Codes compare by value: 1.0 read from SPSS matches 1 in a table."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class MarginsSpec:
    """Population margins: a tidy table ``[by...], margin, <variables...>, target``.

    ``margin`` names the variables of the margin joined by ``*`` (``gender*age_cat``,
    ``settl_type``); the variable columns hold codes (blank where a margin does not use
    them); ``target`` is a count or share (``kind``).
    """

    table: pd.DataFrame
    kind: str = "counts"
    by: tuple[str, ...] = ()
    file: Path | None = None

    def margins_for(self, **group: Any) -> dict[str | tuple[str, ...], dict[Any, float]]:
        """Margins of one group (e.g. ``wave=1, raion=2``) as ``{column or tuple: {code: n}}``.

        This is the mapping ``SurveyDesign.rake`` and ``trustsurvey.weighting`` take.
        """
        rows = self.table
        for col, value in group.items():
            rows = rows[rows[col].map(_code_key) == _code_key(value)]
        out: dict[str | tuple[str, ...], dict[Any, float]] = {}
        for margin, part in rows.groupby("margin", sort=False):
            variables = str(margin).split("*")
            targets: dict[Any, float] = {}
            for _, r in part.iterrows():
                codes = tuple(_code_key(r[v]) for v in variables)
                targets[codes if len(codes) > 1 else codes[0]] = float(r["target"])
            out[tuple(variables) if len(variables) > 1 else variables[0]] = targets
        return out

    def variables(self) -> list[str]:
        """The data columns the margins use."""
        names: list[str] = []
        for margin in self.table["margin"].unique():
            for v in str(margin).split("*"):
                if v not in names:
                    names.append(v)
        return names


@dataclass(frozen=True)
class FocusGroupSpec:
    """Focus-group records: groups and coded segments CSVs, and the codebook instrument."""

    groups: Path
    segments: Path
    codebook: str | None = None

    def read(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The groups and segments tables."""
        return pd.read_csv(self.groups), pd.read_csv(self.segments)


@dataclass(frozen=True)
class ProgrammeSpec:
    """Programme-monitoring files (see :mod:`trustsurvey.programme`); any may be absent."""

    activities: Path | None = None
    hotline: Path | None = None
    trainings: Path | None = None
    population: Path | None = None
    vocabulary: str = "programme_vocabulary"
    start: dt.date | None = None
    end: dt.date | None = None

    def files(self) -> list[Path]:
        """The programme files that are given."""
        return [p for p in (self.activities, self.hotline, self.trainings, self.population) if p]


@dataclass(frozen=True)
class ValidationSettings:
    """Thresholds of the data-quality checks and which checks exclude respondents in clean
    (``validation:`` in ``study.yaml``; the checker and the loader read these fields)."""

    exclude: tuple[str, ...] = setting(
        ("duplicate", "hard_error"),
        "list",
        "checks whose respondents clean removes",
        elements="str",
    )
    speeder_fraction: float = setting(
        1 / 3,
        "number",
        "speeder if duration < fraction x median",
        rule=lambda v: 0 < v < 1,
        hint="a number between 0 and 1, e.g. 0.33",
    )
    straightline_min_items: int = setting(5, "int", "grid answers needed to judge")
    interviewer_z: float = setting(3.29, "number", "z above which an interviewer is flagged")
    interviewer_min_interviews: int = setting(20, "int", "interviews needed to judge")


@dataclass(frozen=True)
class WeightingSpec:
    """How ``trustsurvey run`` / ``weight`` weight to the margins (study.yaml ``weighting:``)."""

    method: str = "rake"  # rake | poststratify | calibrate
    lower: float | None = None  # trimming bounds on the weights (strict)
    upper: float | None = None
    fixed_weights: bool = False


#: disclosure and language settings of published outputs (``publish:``), declared once in
#: :mod:`trustsurvey.publish.policy`
PublishSpec = PublishSettings


@dataclass
class Study:
    """A checked study folder. Build it with :func:`trustsurvey.study.load_study`."""

    folder: Path
    file: Path
    name: str
    title: dict[str, str]
    questionnaire_ref: str
    questionnaire_path: Path
    waves: list[Wave]
    design: DesignSpec
    arms: ArmsSpec
    margins: MarginsSpec | None = None
    weighting: WeightingSpec = field(default_factory=WeightingSpec)
    focus_groups: FocusGroupSpec | None = None
    programme: ProgrammeSpec | None = None
    #: area-level covariates (``area_covariates:``): a ``community`` column and numeric ones
    area_covariates: pd.DataFrame | None = None
    area_covariates_file: Path | None = None
    validation: ValidationSettings = field(default_factory=ValidationSettings)
    publish: PublishSpec = field(default_factory=PublishSpec)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    #: line of each key path of study.yaml, for errors found after loading
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    @cached_property
    def questionnaire(self) -> Questionnaire:
        """The study's questionnaire, loaded and checked."""
        from trustsurvey.questionnaire import load_questionnaire

        return load_questionnaire(self.questionnaire_path)

    @cached_property
    def plan(self) -> AnalysisPlan:
        """The analysis plan: ``analysis:`` with the questionnaire's defaults
        (:func:`trustsurvey.study.plan.resolve_plan`)."""
        from trustsurvey.study.plan import resolve_plan

        return resolve_plan(self)

    @property
    def out_dir(self) -> Path:
        """Where the pipeline writes its outputs (``STUDY/out``)."""
        return self.folder / "out"

    def wave(self, code: int) -> Wave:
        """The wave with this code."""
        for w in self.waves:
            if w.code == code:
                return w
        from trustsurvey.errors import StudyError

        raise StudyError(
            f"no wave with code {code}",
            file=self.file,
            item="waves",
            hint="use one of: " + ", ".join(str(w.code) for w in self.waves),
        )

    def raw_files(self) -> list[Path]:
        """Every input file the study names (data, margins, communities, focus groups)."""
        files = [w.file for w in self.waves]
        if self.margins is not None and self.margins.file is not None:
            files.append(self.margins.file)
        if self.arms.communities_file is not None:
            files.append(self.arms.communities_file)
        if self.focus_groups is not None:
            files += [self.focus_groups.groups, self.focus_groups.segments]
        if self.programme is not None:
            files += self.programme.files()
        return files

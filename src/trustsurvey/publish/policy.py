"""The disclosure-control policy of a bundle (``publish:`` in ``study.yaml``).

>>> p = DisclosurePolicy.from_settings({"min_cell": 50})
>>> p.min_cell, p.max_cv
(50, 0.3)
>>> p.threshold("appeals"), p.threshold("likert")
(10, 50)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustsurvey._settings import setting, setting_fields, setting_problem
from trustsurvey.errors import PublishError

_AT_LEAST_1 = "an integer of at least 1, e.g. 30"


@dataclass(frozen=True)
class DisclosurePolicy:
    """Rules applied before anything is published: the disclosure settings of ``publish:``
    in ``study.yaml``, declared here once (the study.yaml checker, the loader and the study
    model read their keys, types, defaults and rules from these fields).

    Parameters
    ----------
    min_cell
        Cells with fewer unweighted respondents are suppressed (primary suppression).
    min_records
        Same for tables that count programme records rather than survey respondents
        (hotline appeals): a count of appeals below it is suppressed. Administrative counts
        are usually protected with a smaller threshold than survey cells (10 is common); a
        survey cell's threshold also guards the reliability of its estimate.
    max_cv
        Estimates with a coefficient of variation ``se / |estimate|`` above this are flagged
        ``unreliable`` (kept, flagged).
    reliability_rule
        ``"cv"`` (the default): every estimate is judged by ``max_cv``. ``"nchs"``: the
        estimates of yes/no (0/1) outcomes are judged by the NCHS Data Presentation
        Standards for Proportions (Parker et al. 2017; :mod:`trustsurvey.publish.nchs`):
        suppressed (reason ``unreliable``) when the effective sample size is below 30 or
        the Korn-Graubard interval is too wide, flagged ``unreliable`` when the standard asks
        for statistical review; means keep the ``max_cv`` rule.
    protection_interval
        Smallest width, in respondents, of the interval an intruder may derive for a
        suppressed count from everything published (linear-programming audit).
    protection_share
        Same for a suppressed share (0-1 scale).
    suppression_method
        How complements are chosen: ``"optimal"`` (the default: programmes minimising the
        information lost, :mod:`trustsurvey.publish.optimal`, by neighbourhoods of grouped
        communities in large studies, :mod:`trustsurvey.publish.modular`) or ``"greedy"``
        (one complement per exposed relation until the audit passes; the optimal method's
        safety net, and a choice of its own).
    suppression_cost
        Information lost by hiding a cell: ``"weighted"`` (its weighted count),
        ``"count"`` (its unweighted count) or ``"rows"`` (every cell alike: fewest cells).
    block_seconds
        Time limit of one local programme of the optimal method; past it the cell is
        protected by the greedy method.
    """

    min_cell: int = setting(
        30, "int", "smallest unweighted cell shown", rule=lambda v: v >= 1, hint=_AT_LEAST_1
    )
    max_cv: float = setting(
        0.3,
        "number",
        "largest coefficient of variation shown",
        rule=lambda v: v > 0,
        hint="a positive number, e.g. 0.3",
    )
    reliability_rule: str = setting(
        "cv",
        "str",
        "how unreliable estimates are found: cv (max_cv) or nchs (the NCHS standard for "
        "proportions)",
        choices=("cv", "nchs"),
        rule=lambda v: v in ("cv", "nchs"),
        hint="cv or nchs",
    )
    min_records: int = setting(
        10,
        "int",
        "smallest count of appeals (records) shown",
        rule=lambda v: v >= 1,
        hint="an integer of at least 1, e.g. 10",
    )
    protection_interval: float = setting(
        10.0,
        "number",
        "narrowest interval, in respondents, left for a hidden count",
        rule=lambda v: v >= 0,
        hint="a number not below 0, e.g. 10",
    )
    protection_share: float = setting(
        0.05,
        "number",
        "narrowest interval, on the 0-1 scale, left for a hidden share",
        rule=lambda v: 0 <= v < 1,
        hint="a number in [0, 1), e.g. 0.05",
    )
    suppression_method: str = setting(
        "optimal",
        "str",
        "how complements are chosen",
        choices=("greedy", "optimal"),
        rule=lambda v: v in ("greedy", "optimal"),
        hint="greedy or optimal",
    )
    suppression_cost: str = setting(
        "weighted",
        "str",
        "information lost by hiding a cell",
        choices=("weighted", "count", "rows"),
        rule=lambda v: v in ("weighted", "count", "rows"),
        hint="weighted, count or rows",
    )
    block_seconds: float = setting(
        10.0,
        "number",
        "time limit of one local programme of the optimal method, in seconds",
        rule=lambda v: v > 0,
        hint="a positive number of seconds, e.g. 10",
    )

    def __post_init__(self) -> None:
        for name in NAMES:
            value = getattr(self, name)
            if name in CHOICES:
                if value not in CHOICES[name]:
                    raise PublishError(
                        f"invalid disclosure policy value {value!r}",
                        item=f"publish.{name}",
                        hint="use " + " or ".join(CHOICES[name]),
                    )
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PublishError(
                    f"invalid disclosure policy value {value!r}: not a number",
                    item=f"publish.{name}",
                    hint="write a number, e.g. min_cell: 30, max_cv: 0.3",
                )
            hint = setting_problem(DisclosurePolicy, name, value)
            if hint is not None:
                raise PublishError(
                    f"invalid disclosure policy value {value!r}",
                    item=f"publish.{name}",
                    hint=f"set it to {hint}",
                )

    @classmethod
    def from_settings(cls, settings: Any = None) -> DisclosurePolicy:
        """Build from a mapping, an object with the same attributes (``study.publish``),
        an existing policy or ``None`` (defaults); unknown keys are ignored."""
        if settings is None:
            return cls()
        if type(settings) is cls:
            return settings
        if isinstance(settings, Mapping):
            values = {k: settings[k] for k in NAMES if k in settings}
        else:
            values = {k: getattr(settings, k) for k in NAMES if hasattr(settings, k)}
        values = {k: v for k, v in values.items() if v is not None}
        try:
            return cls(**values)
        except TypeError as err:
            raise PublishError(
                f"invalid disclosure policy: {err}", item="publish", hint="use numbers"
            ) from err

    def threshold(self, kind: str) -> int:
        """Smallest count published in a table of ``kind`` (``min_records`` for tables of
        records, ``min_cell`` for survey respondents)."""
        from trustsurvey.publish.schema import KINDS

        spec = KINDS.get(kind)
        return self.min_records if spec is not None and spec.unit == "records" else self.min_cell

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form stored in ``manifest.json``."""
        return {name: getattr(self, name) for name in NAMES}


#: the disclosure settings, in declaration order
NAMES = tuple(f.name for f in setting_fields(DisclosurePolicy))
#: the settings that are words, with the values each accepts
CHOICES = {
    f.name: f.metadata["choices"]
    for f in setting_fields(DisclosurePolicy)
    if f.metadata["choices"] is not None
}


@dataclass(frozen=True)
class PublishSettings(DisclosurePolicy):
    """Everything ``publish:`` in ``study.yaml`` holds: the disclosure policy and the
    release's languages and predecessor (``study.publish``)."""

    previous_bundle: Path | None = setting(  # noqa: RUF009 (a dataclass field)
        None, "str", "folder of the last released bundle this run updates"
    )
    languages: tuple[str, ...] = setting(
        ("uk", "en"), "list", "languages of the outputs", elements="str"
    )

"""The disclosure-control policy of a bundle (``publish:`` in ``study.yaml``).

>>> p = DisclosurePolicy.from_settings({"min_cell": 50})
>>> p.min_cell, p.max_cv
(50, 0.3)
>>> p.threshold("appeals"), p.threshold("likert")
(10, 50)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from trustsurvey.errors import PublishError

NAMES = (
    "min_cell",
    "max_cv",
    "min_records",
    "protection_interval",
    "protection_share",
    "block_seconds",
)
#: keys of ``publish:`` that are words, with the values each accepts
CHOICES = {
    "suppression_method": ("optimal", "greedy"),
    "suppression_cost": ("weighted", "count", "rows"),
}


@dataclass(frozen=True)
class DisclosurePolicy:
    """Rules applied before anything is published.

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
    protection_interval
        Smallest width, in respondents, of the interval an intruder may derive for a
        suppressed count from everything published (linear-programming audit).
    protection_share
        Same for a suppressed share (0-1 scale).
    suppression_method
        How complements are chosen: ``"greedy"`` (one complement per exposed relation, the
        default) or ``"optimal"`` (programmes minimising the information lost,
        :mod:`trustsurvey.publish.optimal`; it protects studies the greedy method gives up
        on).
    suppression_cost
        Information lost by hiding a cell: ``"weighted"`` (its weighted count),
        ``"count"`` (its unweighted count) or ``"rows"`` (every cell alike: fewest cells).
    block_seconds
        Time limit of one local programme of the optimal method; past it the cell is
        protected by the greedy method.
    """

    min_cell: int = 30
    max_cv: float = 0.3
    min_records: int = 10
    protection_interval: float = 10.0
    protection_share: float = 0.05
    suppression_method: str = "greedy"
    suppression_cost: str = "weighted"
    block_seconds: float = 10.0

    def __post_init__(self) -> None:
        for name in NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PublishError(
                    f"invalid disclosure policy value {value!r}: not a number",
                    item=f"publish.{name}",
                    hint="write a number, e.g. min_cell: 30, max_cv: 0.3",
                )
        checks = (
            ("min_cell", self.min_cell >= 1, "an integer of at least 1, e.g. 30"),
            ("min_records", self.min_records >= 1, "an integer of at least 1, e.g. 10"),
            ("max_cv", self.max_cv > 0, "a positive number, e.g. 0.3"),
            ("protection_interval", self.protection_interval >= 0, "e.g. 10"),
            ("protection_share", 0 <= self.protection_share < 1, "e.g. 0.05"),
            ("block_seconds", self.block_seconds > 0, "a positive number of seconds, e.g. 10"),
        )
        for name, ok, hint in checks:
            if not ok:
                raise PublishError(
                    f"invalid disclosure policy value {getattr(self, name)!r}",
                    item=f"publish.{name}",
                    hint=f"set it to {hint}",
                )
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise PublishError(
                    f"invalid disclosure policy value {getattr(self, name)!r}",
                    item=f"publish.{name}",
                    hint=f"set it to one of {', '.join(allowed)}",
                )

    @classmethod
    def from_settings(cls, settings: Any = None) -> DisclosurePolicy:
        """Build from a mapping, an object with the same attributes (``study.publish``),
        an existing policy or ``None`` (defaults); unknown keys are ignored."""
        if settings is None:
            return cls()
        if isinstance(settings, cls):
            return settings
        names = (*NAMES, *CHOICES)
        if isinstance(settings, Mapping):
            values = {k: settings[k] for k in names if k in settings}
        else:
            values = {k: getattr(settings, k) for k in names if hasattr(settings, k)}
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
        return asdict(self)

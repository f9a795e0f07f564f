"""The three programme record kinds: their columns, which are PII, and the data holder.

* activities: ``activity_id, date, community, type, participants`` and optionally the
  participants by sex (``female, male``) and role (``police, residents, officials, ngo``),
  ``organiser`` and free-text ``notes`` (never published).
* hotline: ``appeal_id, date_received, community, channel, category, resolved`` and
  ``date_resolved``; any ``caller_*`` column (name, phone, address, ...) is personal data: it
  is dropped on reading, so no table, figure or report can carry it.
* trainings: ``training_id`` (an activity id), ``participant`` (code), ``phase``
  (``pre``/``post``/``followup``) and ``score``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

REQUIRED = {
    "activities": ("activity_id", "date", "community", "type", "participants"),
    "hotline": (
        "appeal_id",
        "date_received",
        "community",
        "channel",
        "category",
        "resolved",
    ),
    "trainings": ("training_id", "participant", "phase", "score"),
}
OPTIONAL = {
    "activities": (
        "female",
        "male",
        "police",
        "residents",
        "officials",
        "ngo",
        "organiser",
        "notes",
    ),
    "hotline": ("date_resolved",),
    "trainings": (),
}
ID_COLUMN = {"activities": "activity_id", "hotline": "appeal_id", "trainings": "participant"}
DATE_COLUMNS = {
    "activities": ("date",),
    "hotline": ("date_received", "date_resolved"),
    "trainings": (),
}
SEX_COLUMNS = ("female", "male")
ROLE_COLUMNS = ("police", "residents", "officials", "ngo")
COUNT_COLUMNS = ("participants", *SEX_COLUMNS, *ROLE_COLUMNS)
#: columns never written to any output (free text may name people)
NEVER_PUBLISHED = ("notes",)
PII_PREFIX = "caller_"


def pii_columns(frame: pd.DataFrame) -> list[str]:
    """Columns holding a caller's personal details (``caller_*``).

    >>> pii_columns(pd.DataFrame(columns=["appeal_id", "caller_phone", "caller_name"]))
    ['caller_phone', 'caller_name']
    """
    return [c for c in frame.columns if str(c).lower().startswith(PII_PREFIX)]


@dataclass
class ProgrammeData:
    """Programme records as read (text cells, ``_row`` = 1-based data row), PII removed.

    ``files`` maps kind -> file name; ``dropped_pii`` lists the personal-data columns removed
    on reading, per kind.
    """

    activities: pd.DataFrame | None = None
    hotline: pd.DataFrame | None = None
    trainings: pd.DataFrame | None = None
    files: dict[str, str] = field(default_factory=dict)
    dropped_pii: dict[str, list[str]] = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The record kinds present, by kind."""
        out = {"activities": self.activities, "hotline": self.hotline}
        out["trainings"] = self.trainings
        return {k: v for k, v in out.items() if v is not None}

"""Questionnaire definitions: items, scales, missing codes, skip logic, indices, codebooks.

One YAML file describes one instrument (see ``questionnaires/`` for the standard ones).
:func:`load_questionnaire` reads and checks it; :func:`from_xlsform` reads a Kobo/ODK form;
:func:`from_spss_metadata` starts one from an SPSS file's dictionary.

The standard instruments ship inside the package (``trustsurvey/questionnaire/instruments/``,
the single source of truth); ``questionnaires/`` at the top of the repository holds identical
copies for people browsing the project (a test keeps them identical).

The YAML format (every key is checked; unknown keys get a "did you mean")::

    name: community_safety             # a name: letters, digits, _
    version: "1.0"
    languages: [uk, en]
    title: {uk: ..., en: ...}          # any text: a string, {uk: ...}, {en: ...} or both
    scales:                            # reusable response scales
      agree:
        codes: {1: {uk: Зовсім не згоден, en: Strongly disagree}, ...}
        missing:                       # kind: dont_know refused not_applicable missing
          8: {uk: Важко відповісти, en: difficult to answer, kind: dont_know}
          9: {uk: Відмова, en: refused, kind: refused}
        ordered: true                  # default: true when all codes are numbers
    grids:                             # Likert grids (straight-lining checks)
      police_views: {text: {uk: ..., en: ...}}
    items:
      - name: q12_respect
        type: likert                   # single multiple likert numeric text date identifier
        text: {uk: ..., en: ...}
        scale: agree                   # or codes: {...}; missing: overrides the scale's
        grid: police_views
        reverse: true                  # negatively worded (needs an ordered numeric scale)
        required: true
        relevant: q10_contact == 1     # skip logic; and/or/not, in [..], selected(p, "x")
        pii: false
        roles: [outcome]               # id design weighting grouping wave treatment
                                       # community duration interviewer outcome covariate
      - {name: q2_age, type: numeric, min: 18, max: 110}
      - name: q15_issues
        type: multiple                 # data columns q15_issues_<option>, 0/1
        options: {theft: ..., none: ...}
        exclusive: none
    indices:
      - name: respect_index
        items: [q12_respect, q13_fair, q14_explain, q16_rude]
        method: mean                   # or sum
        min_valid: 3                   # default: all items
        reversed: [q16_rude]           # (min + max) - x over the item's scale
    codebook:                          # qualitative theme codes (focus groups)
      valence: valence3                # a scale
      themes:
        - {code: hotline, label: {uk: ..., en: ...}, parent: responsiveness}

Examples
--------
>>> list_instruments()
['focus_group_protocol', 'police_trust_core', 'programme_vocabulary']
>>> q = load_questionnaire(instrument_path("police_trust_core"))
>>> q.title.get("en")
'Trust in police and community policing — core questionnaire'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire.loader import (
    load_questionnaire,
    loads_questionnaire,
    questionnaire_from_data,
)
from trustsurvey.questionnaire.missing_kinds import (
    MISSING_KINDS,
    infer_missing_kind,
    missing_kind_lines,
)
from trustsurvey.questionnaire.model import (
    ITEM_TYPES,
    ROLES,
    Codebook,
    Index,
    Item,
    Questionnaire,
    Scale,
    Theme,
)
from trustsurvey.questionnaire.text import Text

if TYPE_CHECKING:
    import pandas as pd

INSTRUMENTS_DIR = Path(__file__).parent / "instruments"


def instrument_path(name: str) -> Path:
    """Path of a standard instrument shipped with the package, e.g. "police_trust_core"."""
    path = INSTRUMENTS_DIR / (name if name.endswith(".yaml") else f"{name}.yaml")
    if not path.is_file():
        known = sorted(p.stem for p in INSTRUMENTS_DIR.glob("*.yaml"))
        raise QuestionnaireError(
            "no such standard instrument",
            item=name,
            hint=f"choose one of: {', '.join(known)}",
        )
    return path


def list_instruments() -> list[str]:
    """Names of the standard instruments shipped with the package."""
    return sorted(p.stem for p in INSTRUMENTS_DIR.glob("*.yaml"))


def from_xlsform(path: str | Path, **kwargs: Any) -> Questionnaire:
    """Read an XLSForm (Kobo/ODK) with pyxform; see :mod:`trustsurvey.questionnaire.xlsform`."""
    from trustsurvey.questionnaire.xlsform import from_xlsform as _impl

    return _impl(path, **kwargs)


def to_xlsform(q: Questionnaire, path: str | Path) -> Path:
    """Write a questionnaire as an XLSForm workbook; see :mod:`.xlsform`."""
    from trustsurvey.questionnaire.xlsform import to_xlsform as _impl

    return _impl(q, path)


def from_spss_metadata(meta: Any, **kwargs: Any) -> Questionnaire:
    """A starting questionnaire from an SPSS file's dictionary; see :mod:`.spss`."""
    from trustsurvey.questionnaire.spss import from_spss_metadata as _impl

    return _impl(meta, **kwargs)


def missing_codes_for_reading(q: Questionnaire) -> dict[str, list]:
    """``{column: [codes]}`` for ``trustsurvey.io.read_survey(missing_codes=...)``."""
    return {col: list(codes) for col, codes in q.missing_codes().items()}


def compute_indices(q: Questionnaire, frame: pd.DataFrame) -> pd.DataFrame:
    """Function form of :meth:`Questionnaire.compute_indices`."""
    return q.compute_indices(frame)


__all__ = [
    "INSTRUMENTS_DIR",
    "ITEM_TYPES",
    "MISSING_KINDS",
    "ROLES",
    "Codebook",
    "Index",
    "Item",
    "Questionnaire",
    "QuestionnaireError",
    "Scale",
    "Text",
    "Theme",
    "compute_indices",
    "from_spss_metadata",
    "from_xlsform",
    "infer_missing_kind",
    "instrument_path",
    "list_instruments",
    "load_questionnaire",
    "loads_questionnaire",
    "missing_codes_for_reading",
    "missing_kind_lines",
    "questionnaire_from_data",
    "to_xlsform",
]

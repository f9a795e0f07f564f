"""One schema for every study-level table: communities, margins, focus groups, population.

Each table that ``study.yaml`` names is checked where it enters (when the study is loaded),
through a pandera schema run lazily. The first failing rule becomes one
:class:`~trustsurvey.errors.StudyError` naming the file, the column (``item``), every failing
row (the line of the file, the header being line 1, as a spreadsheet numbers it) and what
to do.
Missing columns are reported by the loader itself; here only the cells are checked.

Rules: blank cells in key columns (``community``, ``arm``, ``margin``, ``target``, group
``id``), arms other than ``pilot``/``control``, a community listed twice, targets and
populations that are not non-negative numbers.

>>> import pandas as pd
>>> from trustsurvey.errors import StudyError
>>> table = pd.DataFrame({"community": ["A", "B"], "arm": ["pilot", None]})
>>> try:
...     check_table(table, "communities", file="communities.csv")
... except StudyError as err:
...     print(err.item, err.row, err.message)
arm [3] blank cell in the community table
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from trustsurvey.errors import StudyError

ARMS = ("pilot", "control")


@dataclass(frozen=True)
class Rule:
    """One cell rule: ``ok`` maps a column to a boolean Series (True = the cell is fine)."""

    name: str
    ok: Callable[[pd.Series], pd.Series]
    message: str
    hint: str


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | s.astype("string").str.strip().eq("").fillna(True)


def _not_blank(what: str) -> Rule:
    return Rule("blank", lambda s: ~_blank(s), "blank cell in {table}", what)


def _number(what: str) -> Rule:
    def ok(s: pd.Series) -> pd.Series:
        values = pd.to_numeric(s, errors="coerce")
        return _blank(s) | (values.notna() & (values >= 0) & (values < float("inf")))

    return Rule("number", ok, "not a non-negative number in {table}", what)


def _finite(what: str) -> Rule:
    def ok(s: pd.Series) -> pd.Series:
        values = pd.to_numeric(s, errors="coerce")
        return values.notna() & values.abs().lt(float("inf"))

    return Rule("finite", ok, "blank or not a number in {table}", what)


def _unique(what: str) -> Rule:
    def ok(s: pd.Series) -> pd.Series:
        key = s.map(lambda v: int(v) if isinstance(v, float) and v.is_integer() else v)
        return _blank(s) | ~key.astype("string").str.strip().duplicated(keep=False)

    return Rule("unique", ok, "listed more than once in {table}", what)


def _arm(what: str) -> Rule:
    def ok(s: pd.Series) -> pd.Series:
        return _blank(s) | s.astype("string").str.strip().isin(ARMS).fillna(False)

    return Rule("arm", ok, "unknown arm (neither 'pilot' nor 'control') in {table}", what)


_ARM_HINT = "give every community an arm (pilot or control)"

#: table kind -> (the name used in messages, column -> rules)
TABLES: dict[str, tuple[str, dict[str, list[Rule]]]] = {
    "communities": (
        "the community table",
        {
            "community": [
                _not_blank("fill in the community code or delete the row"),
                _unique("list each community once, with one arm"),
            ],
            "arm": [_not_blank(_ARM_HINT), _arm("use 'pilot' or 'control' as arm")],
        },
    ),
    "margins": (
        "the margins",
        {
            "margin": [_not_blank("name the margin (its variables joined by '*') on every row")],
            "target": [
                _not_blank("give every margin row its population target"),
                _number("give the target as a number of people (or a share), 0 or more"),
            ],
        },
    ),
    "focus_groups.groups": (
        "the focus-group table",
        {
            "id": [
                _not_blank("give every focus group an id"),
                _unique("give every focus group its own id"),
            ],
            "community": [_not_blank("name the community where the group met")],
            "arm": [_not_blank(_ARM_HINT), _arm("use 'pilot' or 'control' as arm")],
        },
    ),
    "focus_groups.segments": (
        "the coded segments",
        {"group": [_not_blank("name the focus group (its id in groups.csv) of every segment")]},
    ),
    "area_covariates": (
        "the area covariates",
        {
            "community": [
                _not_blank("fill in the community code or delete the row"),
                _unique("list each community once"),
            ],
        },
    ),
    "programme.population": (
        "the population table",
        {
            "community": [
                _not_blank("fill in the community code or delete the row"),
                _unique("list each community once"),
            ],
            "population": [_number("give the number of residents, 0 or more")],
        },
    ),
}


def schema(kind: str) -> pa.DataFrameSchema:
    """The pandera schema of table ``kind`` (a key of :data:`TABLES`).

    >>> sorted(schema("communities").columns)
    ['arm', 'community']
    """
    return _schema(*TABLES[kind])


def _schema(label: str, columns: dict[str, list[Rule]]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            name: pa.Column(
                required=False,
                nullable=True,
                checks=[pa.Check(r.ok, name=f"{name}:{r.name}", ignore_na=False) for r in rules],
            )
            for name, rules in columns.items()
        },
        name=label,
    )


def check_area_covariates(frame: pd.DataFrame, *, file: str | Path) -> None:
    """Check an ``area_covariates:`` table: a ``community`` column (filled, each community
    once) and at least one other column, every cell of which is a number.

    >>> table = pd.DataFrame({"community": ["A", "B"], "calls": ["12", "x"]})
    >>> try:
    ...     check_area_covariates(table, file="areas.csv")
    ... except StudyError as err:
    ...     print(err.item, err.row, err.message)
    calls [3] blank or not a number in the area covariates: x
    """
    others = [c for c in frame.columns if c != "community"]
    if "community" not in frame.columns or not others:
        raise StudyError(
            "the area covariates need a 'community' column and at least one numeric column",
            file=file,
            item="community" if "community" not in frame.columns else "columns",
            hint="give one row per community: community, then numeric columns such as "
            "population or calls to police",
        )
    rule = _finite("give a number for every community (no blanks or text)")
    extra = {c: [rule] for c in others}
    _check(frame, *TABLES["area_covariates"], file=file, key=None, extra=extra)


def check_table(
    frame: pd.DataFrame, kind: str, *, file: str | Path, key: str | None = None
) -> None:
    """Raise :class:`StudyError` for the first rule a cell of ``frame`` breaks.

    ``file`` is the table's file (or ``study.yaml`` for rows given inline, then ``key`` names
    the key path and the rows are the list positions, 1-based).
    """
    _check(frame, *TABLES[kind], file=file, key=key)


def _check(
    frame: pd.DataFrame,
    label: str,
    columns: dict[str, list[Rule]],
    *,
    file: str | Path,
    key: str | None,
    extra: dict[str, list[Rule]] | None = None,
) -> None:
    columns = {**columns, **(extra or {})}
    try:
        _schema(label, columns).validate(frame.reset_index(drop=True), lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
        for column, rules in columns.items():
            for rule in rules:
                hit = cases[cases["check"] == f"{column}:{rule.name}"]
                if hit.empty:
                    continue
                first = 1 if key else 2
                rows = sorted({int(i) + first for i in hit["index"].dropna()})
                message = rule.message.format(table=label)
                if rule.name != "blank":
                    values = dict.fromkeys(str(v) for v in hit["failure_case"])
                    message += ": " + ", ".join(list(values)[:10])
                raise StudyError(
                    message,
                    file=file,
                    row=rows,
                    item=f"{key}: {column}" if key else column,
                    hint=rule.hint,
                ) from None
        raise  # pragma: no cover - every check of the schema is a rule above


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise StudyError(
            f"cannot read this CSV file ({type(err).__name__})",
            file=path,
            hint="save it as UTF-8 CSV with one header row and the same number of fields "
            "on every line",
        ) from None


def check_files(spec: object) -> None:
    """Check the CSV tables of a focus-group or programme section of the study.

    ``spec`` is a :class:`~trustsurvey.study.model.FocusGroupSpec` (groups and segments) or
    a :class:`~trustsurvey.study.model.ProgrammeSpec` (its population table, if any).
    """
    for attr, kind in (
        ("groups", "focus_groups.groups"),
        ("segments", "focus_groups.segments"),
        ("population", "programme.population"),
    ):
        path = getattr(spec, attr, None)
        if path is not None and Path(path).suffix.lower() == ".csv":
            check_table(_read(Path(path)), kind, file=path)

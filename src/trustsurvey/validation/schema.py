"""A pandera schema built from a questionnaire, run lazily, its failures in questionnaire terms.

For every item the data hold: allowed codes (valid and missing codes; ``invalid_code``), the
valid range of numeric items (missing codes allowed; ``out_of_range``), numbers where codes
are numbers (``wrong_type``), readable dates, required answers (``required_missing``, for
required items asked of everyone), a unique respondent id (``duplicate_id``). The schema is
validated with ``lazy=True`` so every failing cell is collected (pandera's
``failure_cases``), then translated into report rows.

>>> import pandas as pd
>>> from trustsurvey.questionnaire import load_questionnaire, instrument_path
>>> q = load_questionnaire(instrument_path("police_trust_core"))
>>> frame = pd.DataFrame({"resp_id": [1, 2, 2], "trust_police": [1.0, 6.0, 8.0]})
>>> rows = schema_issues(frame, q, file="w.sav")
>>> sorted(rows["check"])
['duplicate_id', 'duplicate_id', 'invalid_code']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Item, Questionnaire

from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from trustsurvey.questionnaire.model import numeric_codes
from trustsurvey.validation.report import empty_table, issues


def _numeric_mask(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s):
        return pd.Series(True, index=s.index)
    return pd.to_numeric(s, errors="coerce").notna()


def _isin_check(allowed: list[Any], numeric: bool) -> pa.Check:
    allowed_set = [float(a) for a in allowed] if numeric else [str(a) for a in allowed]

    def ok(s: pd.Series) -> pd.Series:
        if numeric:
            values = pd.to_numeric(s, errors="coerce")
            # non-numbers are reported by wrong_type
            return values.isin(allowed_set) | values.isna()
        return s.astype(str).isin(allowed_set)

    return pa.Check(ok, name="invalid_code")


def _range_check(lo: float | None, hi: float | None, missing: list[float]) -> pa.Check:
    def ok(s: pd.Series) -> pd.Series:
        values = pd.to_numeric(s, errors="coerce")
        inside = pd.Series(True, index=s.index)
        if lo is not None:
            inside &= values >= lo
        if hi is not None:
            inside &= values <= hi
        return inside | values.isin(missing) | values.isna()

    return pa.Check(ok, name="out_of_range")


def _date_check() -> pa.Check:
    def ok(s: pd.Series) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(s):
            return pd.Series(True, index=s.index)
        # utc: interviews on both sides of a daylight-saving change carry two offsets
        parsed = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
        return parsed.notna()

    return pa.Check(ok, name="wrong_type")


def build_schema(q: Questionnaire, columns: list[str]) -> tuple[pa.DataFrameSchema, dict[str, str]]:
    """The pandera schema for the ``columns`` the data hold; also column -> item name."""
    cols: dict[str, pa.Column] = {}
    item_of: dict[str, str] = {}
    for name, item in q.items.items():
        data_cols = q.columns_for(name)
        missing_codes = list(item.missing)
        for col in data_cols:
            if col not in columns:
                continue
            item_of[col] = name
            checks: list[pa.Check] = []
            asked_of_all = item.relevant is None
            nullable = not (item.required and asked_of_all)
            unique = "id" in item.roles
            if item.type == "multiple":
                allowed = [0, 1, *missing_codes]
                checks += [
                    pa.Check(_numeric_mask, name="wrong_type"),
                    _isin_check(allowed, True),
                ]
            elif item.type in ("single", "likert") and item.codes:
                allowed = [*item.codes, *missing_codes]
                numeric = numeric_codes(dict.fromkeys(allowed)) is not None
                if numeric:
                    checks.append(pa.Check(_numeric_mask, name="wrong_type"))
                checks.append(_isin_check(allowed, numeric))
            elif item.type == "numeric":
                checks.append(pa.Check(_numeric_mask, name="wrong_type"))
                if item.min is not None or item.max is not None:
                    miss = numeric_codes(dict.fromkeys(missing_codes)) or []
                    checks.append(_range_check(item.min, item.max, miss))
            elif item.type == "date":
                checks.append(_date_check())
            cols[col] = pa.Column(
                checks=checks, nullable=nullable, unique=unique, required=False, coerce=False
            )
    return pa.DataFrameSchema(cols, strict=False, coerce=False), item_of


_CHECK_NAMES = {
    "not_nullable": "required_missing",
    "field_uniqueness": "duplicate_id",
    "invalid_code": "invalid_code",
    "out_of_range": "out_of_range",
    "wrong_type": "wrong_type",
}


def _check_name(raw: Any) -> str | None:
    text = str(raw)
    for key, name in _CHECK_NAMES.items():
        if text.startswith(key) or f"'{key}'" in text or text == key:
            return name
    if "dtype" in text:
        return "wrong_type"
    return None


def _messages(check: str, item: Item, value: str) -> tuple[str, str]:
    if check == "invalid_code":
        allowed = ", ".join(str(c) for c in [*item.codes, *item.missing]) or "0, 1"
        return (
            f"code {value} of {item.name}; allowed: {allowed}",
            f"код {value} змінної {item.name}; допустимі: {allowed}",
        )
    if check == "out_of_range":
        return (
            f"{value} outside {item.min}..{item.max}",
            f"{value} поза межами {item.min}..{item.max}",
        )
    if check == "wrong_type":
        return f"'{value}' is not a valid value", f"«{value}» — недопустиме значення"
    if check == "duplicate_id":
        return f"id {value} occurs more than once", f"ідентифікатор {value} повторюється"
    if check == "required_missing":
        return f"{item.name} is empty", f"{item.name} не заповнено"
    return "", ""


def schema_issues(
    frame: pd.DataFrame,
    q: Questionnaire,
    *,
    file: str = "",
    id_column: str | None = None,
) -> pd.DataFrame:
    """Run the questionnaire's schema lazily on ``frame``; one report row per failing cell."""
    schema, item_of = build_schema(q, list(frame.columns))
    if id_column is None:
        ids = q.items_with_role("id") if hasattr(q, "items_with_role") else []
        id_column = next((c for c in ids if c in frame.columns), None)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
    else:
        return empty_table()
    cases = cases[cases["index"].notna() & cases["column"].isin(list(item_of))]
    checks = cases["check"].map(_check_name)
    cases = cases.assign(our_check=checks)[checks.notna()]
    parts = []
    for (column, check), group in cases.groupby(["column", "our_check"], sort=False):
        item = q.items[item_of[column]]
        positions = group["index"].astype(int).to_numpy()
        values = frame[column].to_numpy()[positions]
        shown = ["" if _is_nan(v) else v for v in values]
        ids = frame[id_column].to_numpy()[positions] if id_column else [None] * len(positions)
        messages = [_messages(check, item, _fmt(v)) for v in shown]
        parts.append(
            issues(
                file,
                check,
                column,
                positions,
                shown,
                list(ids),
                [m[0] for m in messages],
                [m[1] for m in messages],
            )
        )
    if not parts:
        return empty_table()
    return pd.concat(parts, ignore_index=True).sort_values("row", kind="stable")


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

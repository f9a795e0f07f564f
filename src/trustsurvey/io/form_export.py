"""KoboToolbox, ODK Central and Ona exports read with their form.

An export is read against the questionnaire drawn from its form
(:func:`~trustsurvey.questionnaire.from_xlsform`, or any questionnaire with the same
names) and comes out in the questionnaire's columns, ready for validation:

- headers: XML names (``age``), group paths (``grp/age``; ODK Central ``grp-age``), or
  question labels (Kobo "labels" export, optionally ``Group label/Question label``);
  a name used in several groups is matched by its path, or by order when the export has
  no group names;
- select_multiple: one space-separated column (names or labels) and/or split
  ``q/option`` columns holding ``1``/``0``, ``True``/``False`` or ``1``/blank, all
  turned into the questionnaire's 0/1 option columns (empty where the question was not
  answered);
- ``n/a`` (Ona, Kobo's older exports) marks a skipped question: read as empty;
- the server's columns (``_id``, ``_uuid``, ``_submission_time``, ``_index``,
  ``_parent_index``, ``_validation_status``, ``_tags``, ``_notes``, ``_version``,
  ``__version__``, ``_duration``, ``_submitted_by``, ``_status``, ``meta/instanceID``;
  ODK Central ``KEY``, ``PARENT_KEY``, ``SubmissionDate``, ``ReviewState``…), the form's
  fields without an item (``start``, ``end``, notes) and geopoint parts (``_loc_latitude``,
  ``_loc_longitude``, ``_loc_altitude``, ``_loc_precision``; Central ``loc-Latitude``…)
  are kept and listed in ``meta.form_columns``, so validation knows every column;
- repeat groups: extra sheets of the workbook (named by the repeat, Kobo cuts names at 31
  characters) or extra CSV files (``…-repeat.csv``, ``…_repeat.csv``), joined to their
  parent by ``_parent_index`` → ``_index`` (Kobo, Ona) or ``PARENT_KEY`` → ``KEY`` (Central).

The file is never changed; a renamed column is listed in ``meta.renamed``.

Examples
--------
>>> import tempfile, pathlib
>>> from trustsurvey.questionnaire import loads_questionnaire
>>> q = loads_questionnaire('''
... name: t
... items:
...   - {name: used, type: single, codes: {1: used, 0: never}, group: g}
...   - {name: why, type: multiple, options: {a: A, b: B}, relevant: used == 1, group: g}
... ''')
>>> path = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
>>> _ = path.write_text("_id,g/used,g/why,g/why/a,g/why/b\\n1,1,a,True,False\\n2,0,n/a,,\\n")
>>> export = read_form_export(path, q)
>>> export.data.data[["used", "why_a", "why_b"]].to_dict("list")
{'used': [1.0, 0.0], 'why_a': [1.0, nan], 'why_b': [0.0, nan]}
>>> sorted(export.data.meta.form_columns)
['_id', 'g/why']
>>> validate_form_export(export, q).errors.empty
True
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trustsurvey.errors import InputFileError
from trustsurvey.io.metadata import FileMetadata
from trustsurvey.io.survey_data import SurveyData

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Item, Questionnaire
    from trustsurvey.validation.report import ValidationReport

SERVER_COLUMNS = {
    "KEY": "ODK Central: submission key",
    "PARENT_KEY": "ODK Central: key of the parent row",
    "SubmissionDate": "ODK Central: submission time",
    "SubmitterID": "ODK Central: submitter id",
    "SubmitterName": "ODK Central: submitter",
    "AttachmentsPresent": "ODK Central: attachments received",
    "AttachmentsExpected": "ODK Central: attachments expected",
    "Status": "ODK Central: submission status",
    "ReviewState": "ODK Central: review state",
    "DeviceID": "ODK Central: device",
    "Edits": "ODK Central: number of edits",
    "FormVersion": "ODK Central: form version",
    "instanceID": "submission id",
    "instanceName": "submission name",
}
#: fields an XLSForm fills in from the device (XLSForm spec, "Metadata")
DEVICE_FIELDS = frozenset(
    {"start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
     "phonenumber", "email", "audit"}
)  # fmt: skip
_GEO_PARTS = {
    "latitude": "latitude",
    "longitude": "longitude",
    "altitude": "altitude",
    "precision": "precision",
    "accuracy": "precision",
}
_TRUE = {"1", "1.0", "true", "yes"}
_FALSE = {"0", "0.0", "false", "no"}
NA_PLACEHOLDER = "n/a"


@dataclass
class FormExport:
    """An export read with its form: the respondent table and one table per repeat.

    ``repeats[name].data`` has the repeat's items, the server columns and, for the skip
    logic of the repeat's items, the parent's answers they refer to (listed in its
    ``meta.form_columns``); ``_parent_row`` is the 0-based row of the parent.
    """

    data: SurveyData
    repeats: dict[str, SurveyData] = field(default_factory=dict)
    style: str = "kobo"  # "kobo" (Kobo/Ona: group/q, _index) or "odk" (Central: grp-q, KEY)
    #: repeat name -> (its link column, the parent's key column), e.g. ("_parent_index", "_index")
    links: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: repeat name -> the repeat (or ``""``, the respondent table) its rows belong to
    parents: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------ raw tables


def _sniff(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        head = handle.readline()
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(
            path,
            sep=_sniff(path),
            dtype=str,
            header=None,
            keep_default_na=False,
            encoding="utf-8-sig",
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputFileError(
            f"cannot read the export ({type(err).__name__}: {err})",
            file=str(path),
            hint="export again from the server as CSV (UTF-8) or XLSX",
        ) from None
    return _with_header(raw, path)


def _with_header(raw: pd.DataFrame, path: Path, sheet: str | None = None) -> pd.DataFrame:
    """Header row → column names, keeping repeated headers (the export without group
    names repeats a name used in two groups) as they are."""
    if raw.empty:
        where = f"sheet {sheet!r}" if sheet else "the file"
        raise InputFileError(f"{where} is empty", file=str(path), hint="export the data again")
    header = ["" if pd.isna(v) else str(v).strip() for v in raw.iloc[0]]
    body = raw.iloc[1:].reset_index(drop=True)
    body.columns = range(len(header))
    body = body.replace("", np.nan) if len(body) else body
    body.attrs["header"] = header
    return body


def _read_tables(path: Path, extra: Mapping[str, str | Path] | None) -> dict[str, pd.DataFrame]:
    """The main table under ``""`` and every other sheet/file under its name."""
    tables: dict[str, pd.DataFrame] = {}
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            sheets = pd.read_excel(
                path, sheet_name=None, header=None, dtype=object, keep_default_na=False
            )
        except Exception as err:  # openpyxl/xlrd raise many kinds
            raise InputFileError(
                f"not a readable workbook ({type(err).__name__})",
                file=str(path),
                hint="export again from the server as XLSX or CSV",
            ) from None
        for number, (name, raw) in enumerate(sheets.items()):
            if raw.dropna(how="all").empty:
                continue
            tables["" if number == 0 else str(name)] = _with_header(raw, path, str(name))
    else:
        tables[""] = _read_csv(path)
    for name, other in (extra or {}).items():
        tables[name] = _read_csv(Path(other))
        tables[name].attrs["file"] = str(other)
    return tables


# ------------------------------------------------------------------ headers


def _segments(header: str) -> list[tuple[str, ...]]:
    """Ways to cut a header into a path: by ``/`` (Kobo, Ona), by ``-`` (ODK Central)."""
    out = [tuple(header.split("/"))]
    if "-" in header:
        out.append(tuple(re.split(r"[/-]", header)))
        out.append(tuple(header.split("-")))
    return out


def _key(parts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(re.sub(r"[^A-Za-z0-9_]+", "_", p).strip("_").casefold() for p in parts)


def _norm_label(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


class _Resolver:
    """Header → (item, option or None), built from the questionnaire's names and labels."""

    def __init__(self, q: Questionnaire, items: list[Item]) -> None:
        self.q = q
        self.exact: dict[tuple[str, ...], tuple[str, Any]] = {}
        self.bare: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
        self.labels: dict[str, list[tuple[str, Any]]] = {}
        for item in items:
            groups = tuple(item.group.split("/")) if item.group else ()
            flat = "_".join(groups)
            short = (
                item.name[len(flat) + 1 :] if flat and item.name.startswith(flat + "_") else None
            )
            names = [n for n in (item.name, short) if n]
            targets: list[tuple[Any, tuple[str, ...]]] = [(None, ())]
            if item.type == "multiple":
                targets += [(opt, (str(opt),)) for opt in item.options]
            for option, tail in targets:
                value = (item.name, option)
                for name in names:
                    self.exact.setdefault(_key((*groups, name, *tail)), value)
                self.exact.setdefault(_key((item.name, *tail)), value)
                if option is not None:  # the questionnaire's own option column name
                    column = item.option_columns.get(option, f"{item.name}_{option}")
                    self.exact.setdefault(_key((column,)), value)
                for name in names[1:] or names:
                    self.bare.setdefault(_key((name, *tail)), []).append(value)
            for lang in ("uk", "en"):
                label = item.text.get(lang) if item.text else ""
                if not label:
                    continue
                self.labels.setdefault(_norm_label(label), []).append((item.name, None))
                if item.type == "multiple":
                    for option, text in item.options.items():
                        for opt_lang in ("uk", "en"):
                            key = f"{_norm_label(label)}/{_norm_label(text.get(opt_lang))}"
                            self.labels.setdefault(key, []).append((item.name, option))
        self.used: set[tuple[str, Any]] = set()

    def resolve(self, header: str) -> tuple[str, Any] | None:
        for parts in _segments(header):
            hit = self.exact.get(_key(parts))
            if hit is not None and hit not in self.used:
                return self._take(hit)
        for parts in _segments(header):
            for cut in range(1, len(parts)):
                for hit in self.bare.get(_key(parts[cut:]), []):
                    if hit not in self.used:
                        return self._take(hit)
            for hit in self.bare.get(_key(parts), []):
                if hit not in self.used:
                    return self._take(hit)
        label = _norm_label(header)
        candidates = [label]
        if "/" in header:  # "Group label/Question label" or "Question label/Option label"
            pieces = [p.strip() for p in header.split("/")]
            candidates += [
                "/".join(_norm_label(p) for p in pieces[i:]) for i in range(1, len(pieces))
            ]
        for text in candidates:
            for hit in self.labels.get(text, []):
                if hit not in self.used:
                    return self._take(hit)
        return None

    def _take(self, hit: tuple[str, Any]) -> tuple[str, Any]:
        self.used.add(hit)
        return hit


def server_column(header: str, form_fields: Mapping[str, str] | None = None) -> str | None:
    """What a Kobo/ODK server, meta or device column is (``_id``: "server column"), or None.

    >>> server_column("_submission_time") is not None, server_column("q7_trust")
    (True, None)
    """
    return _server_column(header, form_fields or {})


def _server_column(header: str, form_fields: Mapping[str, str]) -> str | None:
    """What a server/meta/form-field column is, or None."""
    if header in SERVER_COLUMNS:
        return SERVER_COLUMNS[header]
    if header.startswith("_"):
        return "server column"
    if header in DEVICE_FIELDS:
        return f"form metadata ({header})"
    last = re.split(r"[/-]", header)[-1]
    if header.startswith(("meta/", "meta-", "formhub/")) or last in SERVER_COLUMNS:
        return "form metadata"
    for path, kind in form_fields.items():
        if header in (path, path.replace("/", "-"), path.split("/")[-1]):
            return f"form field ({kind})"
    return None


def _geo_part(header: str, resolver: _Resolver) -> str | None:
    """``_loc_latitude`` (Kobo, Ona) or ``loc-Latitude`` (Central) → "latitude of loc"."""
    match = re.match(r"^_?(.+?)[_-](latitude|longitude|altitude|precision|accuracy)$", header, re.I)
    if not match:
        return None
    base = match.group(1)
    for parts in _segments(base):
        hit = resolver.exact.get(_key(parts))
        if hit is None:
            hits = resolver.bare.get(_key(parts[-1:]), [])
            hit = hits[0] if hits else None
        if hit is not None:
            return f"{_GEO_PARTS[match.group(2).lower()]} of geopoint {hit[0]}"
    return None


# ------------------------------------------------------------------ values


def _blank(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return values.isna() | text.isna() | (text == "")


def _multiple_from_text(
    values: pd.Series, item: Item, file: str, header: str
) -> dict[Any, pd.Series]:
    """Space-separated option names (or labels) → one 0/1 Series per option."""
    codes = {str(o): o for o in item.options}
    labels = {
        _norm_label(t.get(lang)): o
        for o, t in item.options.items()
        for lang in ("uk", "en")
        if t.get(lang)
    }
    options = list(item.options)
    table = np.full((len(values), len(options)), np.nan)
    bad: list[int] = []
    parsed: dict[str, set[Any] | None] = {}  # answers repeat: parse each distinct one once
    for position, raw in enumerate(values.tolist()):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or not str(raw).strip():
            continue
        text = str(raw)
        if text not in parsed:
            parsed[text] = _tokens(text, codes, labels)
        chosen = parsed[text]
        if chosen is None:
            bad.append(position + 1)
            continue
        table[position] = [float(option in chosen) for option in options]
    out = {o: pd.Series(table[:, j], index=values.index) for j, o in enumerate(options)}
    if bad:
        raise InputFileError(
            "answers name options the form does not list",
            file=file,
            item=header,
            row=bad,
            hint="read the export with the form it was collected with",
        )
    return out


def _tokens(raw: str, codes: dict[str, Any], labels: dict[str, Any]) -> set[Any] | None:
    words = raw.split()
    if all(w in codes for w in words):
        return {codes[w] for w in words}
    # labels (which may hold spaces): longest label first, separated by spaces/commas/;
    rest = _norm_label(raw)
    chosen: set[Any] = set()
    ordered = sorted(labels, key=len, reverse=True)
    while rest:
        for label in ordered:
            if rest == label or rest.startswith((label + " ", label + ",", label + ";")):
                chosen.add(labels[label])
                rest = rest[len(label) :].lstrip(" ,;")
                break
        else:
            return None
    return chosen


def _flag(values: pd.Series) -> pd.Series:
    """Split option column → 1/0/NaN (``True``/``False``, ``1``/``0``, ``1``/blank)."""
    text = values.astype("string").str.strip().str.casefold()
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    out[text.isin(_TRUE).fillna(False).to_numpy()] = 1.0
    out[text.isin(_FALSE).fillna(False).to_numpy()] = 0.0
    other = ~_blank(values) & out.isna()
    out[other.to_numpy()] = pd.to_numeric(values[other], errors="coerce")
    return out


def _codes_from_labels(values: pd.Series, item: Item) -> pd.Series:
    """A select_one column of labels ("labels" export) → codes; codes are kept."""
    known = {str(c) for c in [*item.codes, *item.missing]}
    to_code = {
        _norm_label(t.get(lang)): c
        for c, t in {**item.codes, **item.missing}.items()
        for lang in ("uk", "en")
        if t.get(lang)
    }
    text = values.astype("string").str.strip()
    if text.dropna().isin(list(known)).all():
        return values
    return values.map(
        lambda v: v if pd.isna(v) or str(v).strip() in known else to_code.get(_norm_label(v), v)
    )


def _as_numbers(values: pd.Series) -> pd.Series:
    """Numbers where every filled cell is one (else unchanged, for wrong_type to report)."""
    numbers = pd.to_numeric(values, errors="coerce")
    if bool((numbers.notna() | _blank(values)).all()):
        return numbers.astype("float64")
    return values


# ------------------------------------------------------------------ one table


def _table(
    raw: pd.DataFrame,
    q: Questionnaire,
    items: list[Item],
    file: str,
    fmt: str,
) -> SurveyData:
    header: list[str] = raw.attrs["header"]
    resolver = _Resolver(q, items)
    by_name = {i.name: i for i in items}
    form_columns: dict[str, str] = {}
    renamed: dict[str, str] = {}
    derived: dict[str, str] = {}
    columns: dict[str, pd.Series] = {}
    single: dict[str, tuple[str, pd.Series]] = {}  # multiple item → its one-column answers
    split: dict[str, dict[Any, pd.Series]] = {}
    n_placeholders = 0
    for position, head in enumerate(header):
        values = raw[position]
        if not head:
            if values.isna().all():
                continue
            head = f"column_{position + 1}"
        hit = resolver.resolve(head)
        if hit is None:
            what = _geo_part(head, resolver) or _server_column(head, q.form_fields)
            name = head
            if name in columns:
                raise InputFileError(
                    f"the header names column {head!r} twice",
                    file=file,
                    item=head,
                    hint="export again, with group names in the headers",
                )
            columns[name] = values
            if what is not None:
                form_columns[name] = what
            continue
        item_name, option = hit
        placeholder = values.astype("string").str.strip().str.casefold() == NA_PLACEHOLDER
        n_placeholders += int(placeholder.fillna(False).sum())
        values = values.mask(placeholder.fillna(False).to_numpy())
        item = by_name[item_name]
        if item.type == "multiple" and option is None:
            single[item_name] = (head, values)
            form_columns[head] = f"answers of {item_name} in one column (expanded to options)"
            columns[head] = raw[position]
            continue
        if item.type == "multiple":
            split.setdefault(item_name, {})[option] = _flag(values)
            column = q.columns_for(item_name)[list(item.options).index(option)]
            if head != column:
                renamed[head] = column
            columns[column] = values  # replaced below
            continue
        if head != item_name:
            renamed[head] = item_name
        if item.type in ("single", "likert"):
            values = _codes_from_labels(values, item)
            if all(isinstance(c, int | float) for c in [*item.codes, *item.missing]):
                values = _as_numbers(values)
        elif item.type == "numeric":
            values = _as_numbers(values)
        columns[item_name] = values
    for item_name in {*single, *split}:
        item = by_name[item_name]
        names = q.columns_for(item_name)
        from_text = (
            _multiple_from_text(single[item_name][1], item, file, single[item_name][0])
            if item_name in single
            else {}
        )
        parts = split.get(item_name, {})
        flags = pd.DataFrame(
            {o: parts[o] if o in parts else from_text.get(o) for o in item.options},
            index=raw.index,
            dtype="float64",
        )
        if item_name in single:  # the one-column answer tells who answered
            ticked = (flags.notna() & (flags != 0)).any(axis=1)
            answered = ~_blank(single[item_name][1]) | ticked
            flags = flags.fillna(pd.DataFrame(from_text, index=raw.index, dtype="float64"))
        else:  # 0/1 or True/False: every answered row has values; 1/blank: any 1
            answered = flags.notna().any(axis=1)
        flags = flags.fillna(0.0)
        flags.loc[~answered.to_numpy(), :] = np.nan
        for option, column in zip(item.options, names, strict=True):
            columns[column] = flags[option].astype("float64")
            if item_name in single and option not in parts:
                derived[column] = f"1 if option {option!r} chosen in {item_name!r}"
    frame = pd.DataFrame(columns, index=raw.index)
    issues = []
    if n_placeholders:
        issues.append(f"{n_placeholders} 'n/a' cells (skipped questions) read as empty")
    meta = FileMetadata(
        file=file,
        format=fmt,
        encoding="utf-8",
        n_rows=len(frame),
        column_names=list(frame.columns),
        variable_labels={
            i.name: i.text.get("uk") for i in items if i.name in frame.columns and i.text
        },
        value_labels={
            i.name: {c: t.get("uk") for c, t in {**i.codes, **i.missing}.items()}
            for i in items
            if i.name in frame.columns and (i.codes or i.missing)
        },
        renamed=renamed,
        derived=derived,
        issues=issues,
        form_columns=form_columns,
    )
    return SurveyData(frame.reset_index(drop=True), meta)


# ------------------------------------------------------------------ repeats


def _repeat_tables(
    tables: dict[str, pd.DataFrame], q: Questionnaire, path: Path
) -> dict[str, tuple[str, pd.DataFrame]]:
    """Repeat name → (file or sheet, raw table), matched by sheet/file name."""
    repeats = list(dict.fromkeys(i.repeat for i in q.items.values() if i.repeat))
    found: dict[str, tuple[str, pd.DataFrame]] = {}
    for key, raw in tables.items():
        if not key:
            continue
        for repeat in repeats:
            if key == repeat or (len(key) >= 31 and repeat.startswith(key)):
                found[repeat] = (raw.attrs.get("file", f"{path}, sheet {key!r}"), raw)
    if path.suffix.lower() == ".csv":
        for repeat in repeats:
            if repeat in found:
                continue
            siblings = [
                s
                for s in sorted(path.parent.glob("*.csv"))
                if s != path and re.search(rf"(^|[-_.]){re.escape(repeat)}$", s.stem)
            ]
            # several exports in one folder: the one named after this export first
            own = [s for s in siblings if s.stem in {f"{path.stem}{c}{repeat}" for c in "-_."}]
            if own or siblings:
                sibling = (own or siblings)[0]
                found[repeat] = (str(sibling), _read_csv(sibling))
    return found


#: a repeat row's link to its parent: (its column, the parent's column), in order of preference
PARENT_LINKS = (("_parent_index", "_index"), ("PARENT_KEY", "KEY"), ("_submission__uuid", "_uuid"))


def _parent_rows(
    child: pd.DataFrame, parent: pd.DataFrame, file: str
) -> tuple[pd.Series, list[str], tuple[str, str]]:
    """0-based parent row of each repeat row (NaN if its parent is not in the export)."""
    for own, theirs in PARENT_LINKS:
        if own in child.columns and theirs in parent.columns:
            lookup = {_plain_key(v): i for i, v in enumerate(parent[theirs]) if pd.notna(v)}
            keys = [_plain_key(v) for v in child[own]]
            rows = pd.Series([lookup.get(k, np.nan) for k in keys], dtype="float64")
            orphans = (np.flatnonzero(rows.isna().to_numpy()) + 1).tolist()
            issues = (
                [f"{file}: rows {orphans[:20]} name a parent ({own}) not in the main table"]
                if orphans
                else []
            )
            return rows, issues, (own, theirs)
    raise InputFileError(
        "a repeat table without a link to its parent (_parent_index or PARENT_KEY)",
        file=file,
        hint="export the repeat groups with the submission they belong to",
    )


def _plain_key(value: Any) -> str | None:
    if pd.isna(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ------------------------------------------------------------------ entry points


def read_form_export(
    path: str | Path,
    q: Questionnaire,
    *,
    repeats: Mapping[str, str | Path] | None = None,
) -> FormExport:
    """Read a Kobo/ODK/Ona export (``.csv`` or ``.xlsx``) with its questionnaire.

    Parameters
    ----------
    path
        The export (the main table; repeat groups as extra sheets or sibling CSV files).
    q
        The questionnaire of the form (``from_xlsform(form)``).
    repeats
        Repeat name → CSV file, when the repeat files are not next to the main one.

    Raises
    ------
    InputFileError
        Unreadable file, an answer naming an option the form lacks, a repeat table with
        no link to its parent.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError("export file not found", file=str(p), hint="check the path")
    fmt = "csv" if p.suffix.lower() == ".csv" else "xlsx"
    tables = _read_tables(p, repeats)
    main_items = [i for i in q.items.values() if not i.repeat]
    main = _table(tables[""], q, main_items, str(p), fmt)
    header = tables[""].attrs["header"]
    style = "odk" if "KEY" in header or any("-" in h and "/" not in h for h in header) else "kobo"
    out = FormExport(main, {}, style)
    parents: dict[str, SurveyData] = {"": main}
    for repeat, (file, raw) in _repeat_tables(tables, q, p).items():
        items = [i for i in q.items.values() if i.repeat == repeat]
        sd = _table(raw, q, items, file, fmt)
        parent_name = ""
        if "_parent_table_name" in sd.data.columns:
            named = sd.data["_parent_table_name"].dropna().astype(str).unique().tolist()
            parent_name = next((n for n in named if n in out.repeats), "")
        parent = parents.get(parent_name, main)
        rows, issues, out.links[repeat] = _parent_rows(sd.data, parent.data, file)
        out.parents[repeat] = parent_name
        sd.data["_parent_row"] = rows.to_numpy()
        sd.meta.form_columns["_parent_row"] = "row of the parent (0-based), from the export's link"
        wanted: set[str] = set()
        from trustsurvey.questionnaire import expressions

        for item in items:
            if item.relevant:
                wanted |= expressions.expression_names(item.relevant)
        for name in sorted(wanted - set(sd.data.columns)):
            columns = (
                [c for c in q.columns_for(name) if c in parent.data.columns]
                if name in q.items
                else []
            )
            for column in columns:
                picked = parent.data[column].reindex(rows.to_numpy()).to_numpy()
                sd.data[column] = picked
                sd.meta.form_columns[column] = "the parent's answer (for skip logic)"
        sd.meta.column_names = list(sd.data.columns)
        sd.meta.issues += issues
        out.repeats[repeat] = sd
        parents[repeat] = sd
    return out


def validate_form_export(export: FormExport, q: Questionnaire) -> ValidationReport:
    """Validate the respondent table and every repeat table of an export.

    The respondent table is judged on the items outside repeats; each repeat table on its
    own items (skip logic with the parent's answers; no duplicate-interview check, since
    two repeat instances may well be alike), and each repeat row whose parent is missing is
    the error ``repeat_parent_missing``
    (:func:`trustsurvey.validation.repeats.validate_repeats`).
    """
    from trustsurvey.validation.repeats import validate_repeats
    from trustsurvey.validation.report import ValidationReport
    from trustsurvey.validation.validate import validate_data

    main_q = replace(q, items={n: i for n, i in q.items.items() if not i.repeat})
    main_file = export.data.meta.file
    main = validate_data(export.data.data, main_q, meta=export.data.meta, file=main_file)
    repeats = validate_repeats(export, q)
    parts = [p for p in (main, repeats.table) if not p.empty]
    table = pd.concat(parts, ignore_index=True) if parts else repeats.table
    return ValidationReport(
        table,
        files=[main_file, *repeats.files],
        n_rows={main_file: len(export.data.data), **repeats.n_rows},
        repeats=repeats.repeats,
    )

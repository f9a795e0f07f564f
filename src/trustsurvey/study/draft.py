"""Draft a study folder from its data files: ``questionnaire.yaml`` and ``study.yaml``.

``draft_study(folder, data=[...])`` drafts the questionnaire from the files' dictionaries
(as ``trustsurvey questionnaire from-spss``; or from an XLSForm with ``form=``) and a
``study.yaml`` with the waves (one file per wave; the wave code read from a wave column),
the sampling design (cluster, stratum and weight columns guessed by name and label in
Ukrainian, Russian and English), the community and arms, population margins found next to
the data, and the analysis plan. Every guess is written with a YAML comment saying what it
was guessed from and what to check (:mod:`trustsurvey.study.guess` holds the rules).

Examples
--------
>>> import tempfile, pathlib
>>> from trustsurvey.example import generate_example
>>> src = generate_example(tempfile.mkdtemp() + "/example")
>>> draft = draft_study(pathlib.Path(tempfile.mkdtemp()) / "mine",
...                     [src / "data/wave1_baseline.sav", src / "data/wave2_followup.sav"])
>>> draft.guess("design.weights").value, draft.guess("arms.treatment").value
('pw', 'pilot')
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from trustsurvey.errors import StudyError
from trustsurvey.study import guess as rules
from trustsurvey.study.loader import EXPORT_SUFFIXES

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.io import SurveyData
    from trustsurvey.questionnaire import Item, Questionnaire

QUESTIONNAIRE_FILE = "questionnaire.yaml"
#: a breakdown with more levels than this is not offered as a subgroup
MAX_SUBGROUP_LEVELS = 12


@dataclass(frozen=True)
class Guess:
    """One guess of the draft: the study.yaml key (or ``items.NAME``), the value, what it was
    guessed from and what the researcher should check."""

    key: str
    value: Any
    source: str
    check: str

    def comment(self) -> str:
        """The YAML comment written next to the guess."""
        return f"# guessed from {self.source}; check: {self.check}"


@dataclass
class StudyDraft:
    """A drafted study: the questionnaire, the study.yaml text and the guesses behind them."""

    folder: Path
    questionnaire: Questionnaire
    study_yaml: str
    guesses: list[Guess] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def guess(self, key: str) -> Guess:
        """The guess made for ``key`` (KeyError when nothing was guessed)."""
        for g in self.guesses:
            if g.key == key:
                return g
        raise KeyError(key)

    def questionnaire_yaml(self) -> str:
        """The questionnaire as YAML, each guessed role commented above its item."""
        from trustsurvey.questionnaire.serialize import dump_yaml

        text = dump_yaml(self.questionnaire.to_data())
        by_item: dict[str, list[Guess]] = {}
        for g in self.guesses:
            if g.key.startswith("items."):
                by_item.setdefault(g.key.split(".")[1], []).append(g)
        lines = []
        for line in text.splitlines():
            found = re.match(r"^(\s*)- name: (\S+)$", line)
            if found and found.group(2) in by_item:
                for g in by_item[found.group(2)]:
                    lines.append(f"{found.group(1)}# {g.value}: {g.comment()[2:]}")
            lines.append(line)
        header = (
            "# Drafted by `trustsurvey init` from the data files' dictionaries. Review it:\n"
            "# the texts in the other language, roles (commented where guessed), indices.\n"
        )
        return header + "\n".join(lines) + "\n"

    def write(self, *, force: bool = False) -> list[Path]:
        """Write ``questionnaire.yaml`` and ``study.yaml`` into the folder."""
        from trustsurvey._files import atomic_write_text as write_text

        targets = [self.folder / QUESTIONNAIRE_FILE, self.folder / "study.yaml"]
        for target in targets:
            if target.exists() and not force:
                raise StudyError(
                    "already exists",
                    file=target,
                    hint="choose another folder, or pass --force to replace the draft",
                )
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text(targets[0], self.questionnaire_yaml())
        write_text(targets[1], self.study_yaml)
        return targets

    def summary(self) -> str:
        """What was guessed, one line each, for the console."""
        lines = [f"  {g.key}: {g.value}  ({g.source})" for g in self.guesses]
        return "\n".join(["Guessed (check each; comments in the files say what to check):", *lines])


# --- reading --------------------------------------------------------------------------------


def _resolve(folder: Path, path: str | Path) -> Path:
    p = Path(path)
    if not p.is_absolute() and not p.exists() and (folder / p).exists():
        p = folder / p
    if not p.is_file():
        raise StudyError(
            "data file does not exist",
            file=p,
            hint="give each wave's data file with --data (a path from here or from the folder)",
        )
    return p.resolve()


def _language(metas: Sequence[Any]) -> str:
    text = " ".join(str(v) for meta in metas for v in (meta.variable_labels or {}).values() if v)
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "uk" if cyrillic >= latin else "en"


def _draft_questionnaire(
    metas: Sequence[Any], form: Path | None, name: str, lang: str
) -> Questionnaire:
    from trustsurvey.questionnaire import from_spss_metadata, from_xlsform

    if form is not None:
        return from_xlsform(form, name=name)
    q = _without_export_meta(from_spss_metadata(metas[0], name=name, language=lang), metas[0])
    for meta in metas[1:]:
        more = _without_export_meta(from_spss_metadata(meta, name=name, language=lang), meta)
        stems = set(q.items) | {k.rsplit("_", 1)[0] for k in q.items if "_" in k}
        extra = {
            k: v
            for k, v in more.items.items()
            if k not in q.items and not any(k.endswith("_" + s) for s in stems)
        }
        if extra:
            q = replace(q, items={**q.items, **extra}, scales={**more.scales, **q.scales})
    return q


def _without_export_meta(q: Questionnaire, meta: Any) -> Questionnaire:
    """Without the columns a KoboToolbox/ODK export adds (``_id``, ``_uuid``, ``start`` …):
    they are not questions."""
    from trustsurvey.io.kobo import KOBO_TIME_COLUMNS
    from trustsurvey.questionnaire.spss import _clean_name

    if getattr(meta, "format", None) not in ("csv", "xlsx"):
        return q
    drop = {
        _clean_name(c)
        for c in meta.column_names
        if str(c).startswith("_") or c in KOBO_TIME_COLUMNS or c in ("deviceid", "instanceID")
    }
    return replace(q, items={k: v for k, v in q.items.items() if k not in drop})


# --- the questionnaire's guesses ---------------------------------------------------------------


def _label(item: Item) -> str | None:
    return item.text.own("uk") or item.text.own("en")


def _code_labels(item: Item) -> dict[Any, str]:
    return {k: (v.own("uk") or v.own("en") or "") for k, v in item.codes.items()}


def _multiple_choice(q: Questionnaire, guesses: list[Guess]) -> Questionnaire:
    """Adjacent 0/1 columns ``prefix_option`` with ticked/not-ticked labels → one
    multiple-choice item."""
    from trustsurvey.questionnaire import Item
    from trustsurvey.questionnaire.text import Text

    labels = {n: _code_labels(i) for n, i in q.items.items() if i.type in ("single", "likert")}
    runs = rules.multiple_choice_runs(list(q.items), labels)
    if not runs:
        return q
    items: dict[str, Item] = {}
    start = {cols[0]: (prefix, cols) for prefix, cols in runs}
    skip = {c for _, cols in runs for c in cols}
    for name, item in q.items.items():
        if name in start:
            prefix, cols = start[name]
            if prefix in q.items:
                items[name] = item
                skip.discard(name)
                continue
            options = {}
            columns = {}
            for col in cols:
                option: Any = col[len(prefix) + 1 :]
                option = int(option) if option.isdigit() else option
                options[option] = q.items[col].text or Text.same(col)
                if f"{prefix}_{option}" != col:
                    columns[option] = col
            texts = [_label(q.items[c]) or "" for c in cols]
            common = os.path.commonprefix(texts).rstrip(" :-–(")  # noqa: RUF071 (text prefix)
            exclusive = [
                o
                for o, t in options.items()
                if rules.EXCLUSIVE.search(t.own("uk") or t.own("en") or "")
            ]
            items[prefix] = Item(
                name=prefix,
                type="multiple",
                text=Text.same(common) if len(common) >= 10 else Text.same(prefix),
                options=options,
                option_columns=columns,
                exclusive=exclusive[0] if len(exclusive) == 1 else None,
            )
            guesses.append(
                Guess(
                    f"items.{prefix}",
                    f"multiple choice over {cols[0]} … {cols[-1]}",
                    f"{len(cols)} adjacent 0/1 columns {prefix}_… labelled ticked / not ticked",
                    "one question with several answers; give its text"
                    + (f"; '{exclusive[0]}' excludes the others" if len(exclusive) == 1 else ""),
                )
            )
        elif name not in skip:
            items[name] = item
    return replace(q, items=items)


def _with_roles(item: Item, *roles: str) -> Item:
    return replace(item, roles=item.roles | set(roles))


def _roles(q: Questionnaire, guesses: list[Guess]) -> tuple[Questionnaire, dict[str, Any]]:
    """Guess the items' roles; return the questionnaire and the design columns found
    (``id, wave, psu, strata, weights, community, interviewer, duration, treatment``)."""
    items = dict(q.items)
    found: dict[str, Any] = {}
    extra: dict[str, list[str]] = {}

    def note(name: str, role: str, why: str, check: str) -> None:
        guesses.append(Guess(f"items.{name}", f"role {role}", why, check))

    for role, rule in rules.RULES.items():
        candidates = []
        for name, item in items.items():
            if item.type == "multiple" or item.repeat or name in found.values():
                continue
            why = rules.match_role(name, _label(item), role)
            if why is not None:
                candidates.append((not why.startswith("name"), name, why))
        for _, name, why in sorted(candidates, key=lambda c: c[0]):
            item = items[name]
            if role in found:
                extra.setdefault(role, []).append(name)
                continue
            found[role] = name
            target = {"psu": "design", "strata": "design", "weights": "design"}.get(role, role)
            new = _with_roles(item, target)
            if role == "weights":
                new = _with_roles(new, "weighting")
            if role == "id" and not item.codes:
                new = replace(new, type="identifier", missing={}, missing_kinds={})
            items[name] = new
            note(name, target if target != role else role, why, rule.check)
    for name, item in items.items():
        if (
            name in found.values()
            or item.repeat
            or item.type not in ("single", "likert", "numeric")
        ):
            continue
        if item.codes:
            pick = rules.pilot_code(_code_labels(item))
            named = rules.TREATMENT_NAME.search(name)
            if pick or (named and {float(c) for c in item.codes} == {0.0, 1.0}):
                code, why = pick if pick else (1, f"name '{name}' with codes 0/1")
                found["treatment"] = name
                found["pilot_code"] = code
                items[name] = _with_roles(item, "treatment")
                note(name, "treatment", why, f"code {code} marks the pilot (treated) communities")
                break
    for name, item in items.items():
        if name in found.values() or item.repeat or item.type not in ("single", "likert"):
            continue
        label = _label(item)
        demo = rules.demographic(name, label)
        if demo and 2 <= len(item.codes) <= MAX_SUBGROUP_LEVELS:
            items[name] = _with_roles(item, "grouping", "covariate")
            note(
                name,
                "grouping, covariate",
                f"{demo[1]} ({demo[0]})",
                "results are broken down by it and the DiD adjusts for it",
            )
            continue
        for what, patterns in (("education level", rules.EDUCATION), ("area", rules.REGION)):
            why = rules.match_pair(name, label, patterns)
            if why and 2 <= len(item.codes) <= MAX_SUBGROUP_LEVELS:
                items[name] = _with_roles(item, "grouping")
                note(name, "grouping", f"{why} ({what})", "results are broken down by it")
                break
    for name, item in items.items():
        if name in found.values():
            continue
        why = rules.match_pair(name, _label(item), rules.PII)
        if why and item.type in ("text", "identifier", "numeric"):
            items[name] = replace(item, pii=True)
            guesses.append(
                Guess(f"items.{name}", "personal data (pii)", why, "never published; dropped")
            )
    for name, item in items.items():
        if item.roles or item.pii or item.repeat:  # a repeat's answers are not per respondent
            continue
        if item.type == "likert" or (item.type == "multiple" and item.options):
            items[name] = _with_roles(item, "outcome")
            note(
                name,
                "outcome",
                f"a {item.type} question",
                "it measures what the study is about (published and compared)",
            )
    for role, names in extra.items():
        guesses.append(
            Guess(
                f"design.{role}.others",
                ", ".join(names),
                "other columns matching the same rule",
                f"'{found[role]}' was taken; use one of these instead if it is the right one",
            )
        )
    return replace(q, items=items), found


# --- study.yaml ------------------------------------------------------------------------------


def _codes_of(sd: SurveyData, column: str | None) -> list[Any]:
    if not column or column not in sd.data.columns:
        return []
    values = pd.to_numeric(sd.data[column], errors="coerce").dropna().unique()
    return sorted(int(v) if float(v).is_integer() else float(v) for v in values)


def _dates(sd: SurveyData, q: Questionnaire) -> tuple[dt.date, dt.date] | None:
    for name, item in q.items.items():
        if item.type == "date" and name in sd.data.columns:
            values = pd.to_datetime(sd.data[name], errors="coerce").dropna()
            if len(values):
                return values.min().date(), values.max().date()
    return None


def _rel(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path, folder.resolve())).as_posix()


def _q(value: Any) -> str:
    """A YAML scalar (quoted when it needs to be)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if re.fullmatch(r"[\w./\-]+", text) and not re.fullmatch(
        r"[\d.\-]+|true|false|null|yes|no", text, re.I
    ):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _margins_file(folder: Path, files: Sequence[Path]) -> Path | None:
    for base in _bases(folder, files):
        for csv in sorted(base.glob("*.csv")):
            try:
                head = pd.read_csv(csv, nrows=0)
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            if {"margin", "target"} <= set(head.columns):
                return csv
    return None


def _communities_file(folder: Path, files: Sequence[Path]) -> Path | None:
    for base in _bases(folder, files):
        for csv in sorted(base.glob("*.csv")):
            try:
                head = pd.read_csv(csv)
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            if {"community", "arm"} <= set(head.columns) and set(head["arm"].astype(str)) <= {
                "pilot",
                "control",
            }:
                return csv
    return None


#: programme records, recognised by their columns (trustsurvey.programme's formats)
PROGRAMME_COLUMNS = {
    "activities": {"date", "community", "type", "participants"},
    "hotline": {"date_received", "community", "category"},
    "trainings": {"training_id", "participant", "phase", "score"},
    "population": {"community", "population"},
}


def _bases(folder: Path, files: Sequence[Path]) -> list[Path]:
    """Folders where files that belong to the study may lie: the study folder, the data
    files' folders and their parents, and a ``programme/`` folder in each."""
    bases = [folder, *(f.parent for f in files), *(f.parent.parent for f in files)]
    bases += [b / "programme" for b in list(bases)]
    return [b for b in dict.fromkeys(p.resolve() for p in bases) if b.is_dir()]


def _programme_files(folder: Path, files: Sequence[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base in _bases(folder, files):
        for csv in sorted(base.glob("*.csv")):
            try:
                columns = set(pd.read_csv(csv, nrows=0).columns)
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            for key, needed in PROGRAMME_COLUMNS.items():
                if key not in found and needed <= columns and len(columns) <= 2 * len(needed) + 8:
                    if key == "population" and columns != needed:
                        continue
                    found[key] = csv
    return found


def _analysis_supported() -> bool:
    from trustsurvey.study.spec import STUDY_SPEC

    return "analysis" in STUDY_SPEC


class _Yaml:
    """study.yaml text, line by line, with the guesses' comments."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str, guess: Guess | None = None) -> None:
        if guess is not None:
            indent = re.match(r"^\s*", line).group(0)  # type: ignore[union-attr]
            self.lines.append(f"{indent}{guess.comment()}")
        self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _read(path: Path, form: Path | None) -> SurveyData:
    """A data file; a CSV/XLSX export with its form is read with the form (its columns are
    then the questionnaire's, as ``waves[i].form`` makes validate and run read it)."""
    from trustsurvey.io import read_survey

    if form is None or path.suffix.lower() not in EXPORT_SUFFIXES:
        return read_survey(path)
    from trustsurvey.io.form_export import read_form_export
    from trustsurvey.questionnaire import from_xlsform

    return read_form_export(path, from_xlsform(form)).data


def draft_study(
    folder: str | Path,
    data: Sequence[str | Path],
    *,
    form: str | Path | None = None,
    name: str | None = None,
) -> StudyDraft:
    """Draft ``questionnaire.yaml`` and ``study.yaml`` for the data files ``data``.

    Parameters
    ----------
    folder
        The study folder to draft (written by :meth:`StudyDraft.write`).
    data
        The data files, one per wave, in wave order (SPSS, CSV/Kobo export, Excel, Parquet).
    form
        An XLSForm to take the questionnaire from (instead of the files' dictionaries).
    name
        The study's short name (default: the folder's name).

    Returns
    -------
    StudyDraft
        ``questionnaire``, ``study_yaml`` and ``guesses`` (key, value, source, check).
    """
    from trustsurvey.questionnaire.spss import _clean_name

    target = Path(folder)
    if not data:
        raise StudyError(
            "no data files given", file=target, hint="give each wave's file with --data FILE"
        )
    files = [_resolve(target, p) for p in data]
    reads = [_read(p, Path(form) if form else None) for p in files]
    metas = [sd.meta for sd in reads]
    study_name = _clean_name(name or target.resolve().name).lower()
    lang = _language(metas)
    guesses: list[Guess] = []
    q = _draft_questionnaire(metas, Path(form) if form else None, study_name, lang)
    q = _multiple_choice(q, guesses)
    q, found = _roles(q, guesses)
    q.notes = list(getattr(q, "notes", []) or [])
    out = _Yaml()
    out.add("# Drafted by `trustsurvey init`: every guess is commented; check them, then run")
    out.add(f"# `trustsurvey validate {target}` and `trustsurvey run {target}`.")
    out.add(f"name: {_q(study_name)}")
    out.add(f"title: {_q(study_name)}   # give the study's title: {{uk: ..., en: ...}}")
    out.add(f"questionnaire: {QUESTIONNAIRE_FILE}")
    out.add("waves:")
    wave_col = found.get("wave")
    wave_item = q.items.get(wave_col) if wave_col else None
    used: set[int] = set()
    for i, (path, sd) in enumerate(zip(files, reads, strict=True)):
        codes = _codes_of(sd, wave_col)
        if len(codes) == 1 and isinstance(codes[0], int) and codes[0] not in used:
            code, g = (
                codes[0],
                Guess(
                    f"waves[{i}].code",
                    codes[0],
                    f"the values of column '{wave_col}' in {path.name}",
                    "each file holds one wave",
                ),
            )
        else:
            code = max(used, default=0) + 1
            why = (
                f"{len(codes)} codes in column '{wave_col}'" if len(codes) > 1 else "no wave column"
            )
            g = Guess(
                f"waves[{i}].code", code, f"the file's place in --data ({why})", "the wave's code"
            )
            if len(codes) > 1:
                raise StudyError(
                    f"holds {len(codes)} waves ({', '.join(map(str, codes))}) in column "
                    f"'{wave_col}'",
                    file=path,
                    item=wave_col,
                    hint="give one file per wave (split the file by its wave column)",
                )
        used.add(code)
        guesses.append(g)
        out.add(f"  - code: {code}", g)
        out.add(f"    file: {_q(_rel(path, target))}")
        if form and path.suffix.lower() in EXPORT_SUFFIXES:  # a Kobo/ODK export: read with it
            out.add(f"    form: {_q(_rel(Path(form).resolve(), target))}")
        label = wave_item.codes.get(code) if wave_item is not None else None
        text = (label.own("uk") or label.own("en")) if label is not None else None
        out.add(f"    label: {_q(text or f'Хвиля {code}')}")
        period = "baseline" if i == 0 else "follow-up"
        pg = Guess(
            f"waves[{i}].period", period, "the order of the --data files", "baseline or follow-up"
        )
        guesses.append(pg)
        out.add(f"    period: {period}", pg)
        dates = _dates(sd, q)
        if dates:
            fg = Guess(
                f"waves[{i}].fieldwork",
                f"{dates[0]}..{dates[1]}",
                "the interview dates in the file",
                "the fieldwork period",
            )
            guesses.append(fg)
            out.add(f"    fieldwork: {{start: {dates[0]}, end: {dates[1]}}}", fg)
    out.add("design:")
    for key, role, default in (
        ("ids", "psu", "1"),
        ("strata", "strata", None),
        ("weights", "weights", None),
    ):
        column = found.get(role)
        if column is None:
            if default is not None:
                g = Guess(
                    f"design.{key}",
                    default,
                    "no cluster column found",
                    "without clusters the SEs assume simple random sampling: name the PSU column",
                )
                guesses.append(g)
                out.add(f"  {key}: {default}", g)
            else:
                out.add(f"  # {key}: not found (name the {role} column if the design has one)")
            continue
        g = next(x for x in guesses if x.key == f"items.{column}" and "design" in str(x.value))
        g = Guess(f"design.{key}", column, g.source, rules.RULES[role].check)
        guesses.append(g)
        out.add(f"  {key}: {column}", g)
    nest = _nest(reads, found.get("psu"), found.get("strata"))
    if nest is not None:
        g = Guess(
            "design.nest",
            nest,
            "PSU codes repeat across strata" if nest else "PSU codes are unique across strata",
            "true when cluster codes are only unique within a stratum",
        )
        guesses.append(g)
        out.add(f"  nest: {_q(nest)}", g)
    first = _first_treated(q, reads, found, guesses, sorted(used))
    _arms(out, guesses, found, target, files, first)
    margins = _margins_file(target, files)
    if margins is not None:
        table = pd.read_csv(margins)
        variables = {v for m in table["margin"].astype(str) for v in m.split("*")}
        by = [c for c in table.columns if c not in {"margin", "target", *variables}]
        kind = "counts" if pd.to_numeric(table["target"], errors="coerce").max() > 1 else "shares"
        g = Guess(
            "margins.file",
            _rel(margins, target),
            f"columns margin and target in {margins.name}",
            f"population {kind} by {', '.join(by) or 'nothing'}",
        )
        guesses.append(g)
        out.add("margins:", g)
        out.add(f"  file: {_q(_rel(margins, target))}")
        out.add(f"  kind: {kind}")
        if by:
            out.add(f"  by: [{', '.join(by)}]")
    else:
        out.add("# margins: none found (add population margins to weight: file: margins.csv)")
    programme = _programme_files(target, files)
    if programme:
        out.add("programme:")
        for key, path in programme.items():
            g = Guess(
                f"programme.{key}",
                _rel(path, target),
                f"the columns of {path.name} ({', '.join(sorted(PROGRAMME_COLUMNS[key]))})",
                f"the programme's {key} records",
            )
            guesses.append(g)
            out.add(f"  {key}: {_q(_rel(path, target))}", g)
    _analysis(out, q, guesses)
    notes = list(q.notes or [])
    return StudyDraft(target, q, _outside(out, guesses, target), guesses, notes)


def _outside(out: _Yaml, guesses: list[Guess], folder: Path) -> str:
    """The study.yaml text, with ``files_outside_folder: true`` when a file it names lies
    outside the study folder (the loader refuses such files otherwise)."""
    from trustsurvey.study.spec import STUDY_SPEC

    text = out.text()
    outside = [
        g.value
        for g in guesses
        if isinstance(g.value, str)
        and g.key.split(".")[0] in ("margins", "arms", "programme")
        and g.value.startswith("../")
    ]
    outside += re.findall(r"^    (?:file|form): \"?(\.\./[^\"\n]*)", text, flags=re.MULTILINE)
    if not outside or "files_outside_folder" not in STUDY_SPEC:
        return text
    g = Guess(
        "files_outside_folder",
        True,
        f"{len(outside)} file(s) outside the study folder, e.g. {outside[0]}",
        "reading them from there is intended (or copy them into the folder)",
    )
    guesses.append(g)
    line = f"questionnaire: {QUESTIONNAIRE_FILE}\n"
    return text.replace(line, f"{line}{g.comment()}\nfiles_outside_folder: true\n", 1)


def _nest(reads: Sequence[SurveyData], psu: str | None, strata: str | None) -> bool | None:
    if not psu or not strata:
        return None
    frames = [sd.data[[psu, strata]] for sd in reads if {psu, strata} <= set(sd.data.columns)]
    if not frames:
        return None
    both = pd.concat(frames, ignore_index=True).dropna()
    return bool((both.groupby(psu)[strata].nunique() > 1).any())


def _first_treated(
    q: Questionnaire,
    reads: Sequence[SurveyData],
    found: dict[str, Any],
    guesses: list[Guess],
    waves: list[int],
) -> dict[Any, int | None] | None:
    """Community -> first treated wave, from a column such as ``cohort`` or
    ``first_treated`` that is constant within each community (0 or empty: never treated)."""
    community = found.get("community")
    if not community or len(waves) < 2:
        return None
    for name, item in q.items.items():
        why = rules.match_pair(name, _label(item), rules.FIRST_TREATED)
        if why is None or item.type not in ("single", "numeric", "likert"):
            continue
        frames = [sd.data[[community, name]] for sd in reads if {community, name} <= set(sd.data)]
        if not frames:
            continue
        both = pd.concat(frames, ignore_index=True)
        both = both[both[community].notna()]
        values = pd.to_numeric(both[name], errors="coerce")
        per = values.groupby(both[community]).agg(["min", "max", "count"])
        constant = ((per["min"] == per["max"]) | per["count"].eq(0)).all()
        codes = {float(w) for w in values.dropna().unique()}
        if not constant or not codes <= {0.0, *map(float, waves)}:
            continue
        mapping = {
            _code_of(c): (None if pd.isna(row["min"]) or row["min"] == 0 else int(row["min"]))
            for c, row in per.iterrows()
        }
        if all(w is None for w in mapping.values()):
            continue
        guesses.append(
            Guess(
                "arms.first_treated",
                f"{sum(w is not None for w in mapping.values())} of {len(mapping)} communities",
                f"{why}, constant within each community",
                "the first wave each community runs the programme in (null: never)",
            )
        )
        return mapping
    return None


def _code_of(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _arms(
    out: _Yaml,
    guesses: list[Guess],
    found: dict[str, Any],
    folder: Path,
    files: Sequence[Path],
    first: dict[Any, int | None] | None = None,
) -> None:
    community = found.get("community")
    treatment = found.get("treatment")
    table = _communities_file(folder, files)
    if first:
        g = next(x for x in guesses if x.key == "arms.first_treated")
        out.add("arms:")
        cg = Guess(
            "arms.community",
            community,
            next(x.source for x in guesses if x.key == f"items.{community}"),
            "the column naming each respondent's community",
        )
        guesses.append(cg)
        out.add(f"  community: {community}", cg)
        out.add("  first_treated:", g)
        for code, wave in first.items():
            out.add(f"    {_q(code)}: {'null' if wave is None else wave}")
        return
    if not treatment and table is None:
        out.add("# arms: no pilot/control column or community table found: every community is")
        out.add("# treated alike. If the study has arms, add e.g.:")
        out.add("#   arms: {treatment: COLUMN, pilot_code: 1, community: COLUMN}")
        if community:
            out.add(f"# (the community column looks like '{community}')")
        return
    out.add("arms:")
    if treatment:
        g = Guess(
            "arms.treatment",
            treatment,
            next(x.source for x in guesses if x.key == f"items.{treatment}"),
            "1 row per respondent says pilot or control",
        )
        guesses.append(g)
        out.add(f"  treatment: {treatment}", g)
        out.add(f"  pilot_code: {_q(found['pilot_code'])}")
    if table is not None:
        g = Guess(
            "arms.communities",
            _rel(table, folder),
            f"columns community and arm in {table.name}",
            "each community's arm",
        )
        guesses.append(g)
        out.add(f"  communities: {_q(_rel(table, folder))}", g)
    if community:
        g = Guess(
            "arms.community",
            community,
            next(x.source for x in guesses if x.key == f"items.{community}"),
            "the column naming each respondent's community",
        )
        guesses.append(g)
        out.add(f"  community: {community}", g)


def _analysis(out: _Yaml, q: Questionnaire, guesses: list[Guess]) -> None:
    outcomes = [n for n, i in q.items.items() if "outcome" in i.roles and i.type != "multiple"]
    multiple = [n for n, i in q.items.items() if "outcome" in i.roles and i.type == "multiple"]
    subgroups = [
        n for n, i in q.items.items() if "grouping" in i.roles and "treatment" not in i.roles
    ]
    adjust = [n for n, i in q.items.items() if "covariate" in i.roles]
    plan = {"outcomes": outcomes, "subgroups": subgroups, "adjust": adjust, "multiple": multiple}
    prefix = "" if _analysis_supported() else "# "
    out.add("# The analysis plan: the outcomes in the order readers see them, breakdowns and")
    out.add("# the DiD's covariates (guessed from the roles in questionnaire.yaml).")
    out.add(f"{prefix}analysis:")
    for key, names in plan.items():
        g = Guess(
            f"analysis.{key}",
            names,
            {
                "outcomes": "Likert, single-choice and yes/no questions",
                "subgroups": "demographic and area columns",
                "adjust": "demographics (sex, age group, settlement type)",
                "multiple": "multiple-choice questions",
            }[key],
            {
                "outcomes": "put the main outcome first; drop what is not an outcome",
                "subgroups": "each has at most 12 levels",
                "adjust": "covariates of the adjusted DiD",
                "multiple": "published as the share naming each option",
            }[key],
        )
        guesses.append(g)
        if names:
            out.add(f"{prefix}  {key}: [{', '.join(names)}]", g)

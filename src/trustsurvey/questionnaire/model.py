"""The questionnaire model: items, response scales, missing codes, skip logic and indices.

A :class:`Questionnaire` is built by :func:`~trustsurvey.questionnaire.load_questionnaire`
(which checks it) or by the XLSForm / SPSS readers. Downstream rooms (io, validation,
analysis) read it; they never need the YAML.

Examples
--------
>>> from trustsurvey.questionnaire import loads_questionnaire
>>> q = loads_questionnaire('''
... name: mini
... scales:
...   agree: {codes: {1: Ні, 2: Так}, missing: {8: {en: Hard to say, kind: dont_know}, 9: Refused}}
... items:
...   - {name: q7_trust, type: likert, scale: agree, roles: [outcome]}
...   - {name: q15_issues, type: multiple, options: {theft: Theft, drugs: Drugs}}
... ''')
>>> q.item("q7_trust").missing[8].get("uk")
'Hard to say'
>>> q.item("q7_trust").missing_kinds
{8: 'dont_know', 9: 'missing'}
>>> q.missing_codes_of_kind("q7_trust", "dont_know")
[8]
>>> q.columns_for("q15_issues")
['q15_issues_theft', 'q15_issues_drugs']
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import expressions
from trustsurvey.questionnaire.missing_kinds import DEFAULT_KIND, MISSING_KINDS, check_kind
from trustsurvey.questionnaire.text import Text

Code = int | float | str

ITEM_TYPES = ("single", "multiple", "likert", "numeric", "text", "date", "identifier")
ROLES = frozenset(
    {
        "id",
        "design",
        "weighting",
        "grouping",
        "wave",
        "treatment",
        "community",
        "duration",
        "interviewer",
        "outcome",
        "covariate",
    }
)
INDEX_METHODS = ("mean", "sum")


def effective_kinds(missing: dict[Code, Text], kinds: dict[Code, str]) -> dict[Code, str]:
    """The kind of every code of ``missing`` (``missing`` when ``kinds`` says nothing);
    ValueError for a kind not in :data:`MISSING_KINDS`."""
    return {code: check_kind(kinds.get(code, DEFAULT_KIND)) for code in missing}


def numeric_codes(codes: dict[Code, Text]) -> list[float] | None:
    """The codes as numbers, or None when any code is not a number."""
    out = []
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int | float):
            return None
        out.append(float(code))
    return out


@dataclass(frozen=True)
class Scale:
    """A reusable response scale: ordered valid codes, missing-answer codes, labels.

    ``ordered`` scales with numeric codes can be reverse-keyed: ``(min + max) - x``.
    ``missing_kinds`` gives the kind of every missing code (one of :data:`MISSING_KINDS`;
    codes it leaves out are plain ``missing``).
    """

    name: str
    codes: dict[Code, Text]
    missing: dict[Code, Text] = field(default_factory=dict)
    ordered: bool = True
    text: Text = field(default_factory=Text)
    missing_kinds: dict[Code, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "missing_kinds", effective_kinds(self.missing, self.missing_kinds))

    @property
    def is_numeric_ordered(self) -> bool:
        return self.ordered and numeric_codes(self.codes) is not None and len(self.codes) > 1

    @property
    def min(self) -> float | None:
        values = numeric_codes(self.codes)
        return min(values) if values else None

    @property
    def max(self) -> float | None:
        values = numeric_codes(self.codes)
        return max(values) if values else None


@dataclass(frozen=True)
class Item:
    """One question (or administrative variable) of a questionnaire.

    ``codes`` are the valid substantive codes, ``missing`` the missing-answer codes (both
    resolved from ``scale`` unless the item overrides them). A multiple-choice item has
    ``options`` (one 0/1 data column each) and possibly an ``exclusive`` option ("none").
    ``missing_kinds`` maps every missing code to its kind (``dont_know``, ``refused``,
    ``not_applicable`` or ``missing``, the default for codes it leaves out).

    >>> it = Item("q1", "single", codes={1: Text.same("1")},
    ...           missing={8: Text(en="DK"), 9: Text(en="No answer")},
    ...           missing_kinds={8: "dont_know"})
    >>> it.missing_kinds
    {8: 'dont_know', 9: 'missing'}
    """

    name: str
    type: str
    text: Text = field(default_factory=Text)
    scale: str | None = None
    codes: dict[Code, Text] = field(default_factory=dict)
    missing: dict[Code, Text] = field(default_factory=dict)
    reverse: bool = False
    min: float | None = None
    max: float | None = None
    required: bool = False
    relevant: str | None = None
    pii: bool = False
    roles: frozenset[str] = frozenset()
    grid: str | None = None
    options: dict[Code, Text] = field(default_factory=dict)
    exclusive: Code | None = None
    ordered: bool = False
    group: str | None = None
    repeat: str | None = None
    note: str | None = None
    choice_filter: str | None = None
    other: bool = False
    option_columns: dict[Code, str] = field(default_factory=dict)
    missing_kinds: dict[Code, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "missing_kinds", effective_kinds(self.missing, self.missing_kinds))

    @property
    def is_numeric_ordered(self) -> bool:
        """True when codes are numbers on an ordered scale (reverse keying is defined)."""
        return self.ordered and numeric_codes(self.codes) is not None and len(self.codes) > 1

    def reverse_values(self, values: pd.Series) -> pd.Series:
        """``(min + max) - x`` over the item's valid codes (e.g. 6 - x on a 1–5 scale)."""
        codes = numeric_codes(self.codes)
        if not codes:
            raise QuestionnaireError(
                "cannot reverse an item without an ordered numeric scale",
                item=self.name,
                hint="give the item an ordered numeric scale, or do not reverse it",
            )
        return (min(codes) + max(codes)) - values


@dataclass(frozen=True)
class Index:
    """A composite score: mean or sum of items (or other indices), reversing some.

    A respondent gets a score only with at least ``min_valid`` valid answers; the mean is
    over the valid answers (the "mean of available items" rule, e.g. ESS/ISSP practice).
    """

    name: str
    items: list[str]
    method: str = "mean"
    min_valid: int = 1
    reversed: list[str] = field(default_factory=list)
    text: Text = field(default_factory=Text)


@dataclass(frozen=True)
class Theme:
    """A code of a qualitative codebook (focus-group theme), possibly under a parent."""

    code: str
    label: Text
    description: Text = field(default_factory=Text)
    parent: str | None = None


@dataclass(frozen=True)
class Codebook:
    """The theme codebook of a qualitative protocol and the scale used for valence."""

    themes: dict[str, Theme]
    valence: str | None = None
    text: Text = field(default_factory=Text)


@dataclass
class Questionnaire:
    """A checked instrument. Build it with :func:`load_questionnaire`."""

    name: str
    version: str = "1"
    languages: tuple[str, ...] = ("uk", "en")
    title: Text = field(default_factory=Text)
    description: Text = field(default_factory=Text)
    items: dict[str, Item] = field(default_factory=dict)
    scales: dict[str, Scale] = field(default_factory=dict)
    indices: dict[str, Index] = field(default_factory=dict)
    grids: dict[str, Text] = field(default_factory=dict)
    codebook: Codebook | None = None
    source: str | None = None
    #: what a reader noticed while building it (XLSForm/SPSS drafts); not written to YAML
    notes: list[str] = field(default_factory=list, compare=False)
    #: form rule kept verbatim but not checked on data (XLSForm ``regex()``, ``pulldata()``…)
    not_enforced: list[str] = field(default_factory=list, compare=False)
    #: fields of the source form that are not items (XLSForm notes, start/end…) → their type
    form_fields: dict[str, str] = field(default_factory=dict, compare=False)

    # ------------------------------------------------------------------ look-ups
    def item(self, name: str) -> Item:
        """The item called ``name``; QuestionnaireError (with a suggestion) if unknown."""
        try:
            return self.items[name]
        except KeyError:
            raise QuestionnaireError(
                "unknown item",
                file=self.source,
                item=name,
                hint=_suggest(name, list(self.items)) or "check the item name",
            ) from None

    def columns_for(self, name: str) -> list[str]:
        """The data columns of an item: one per option for multiple choice.

        >>> from trustsurvey.questionnaire import loads_questionnaire
        >>> q = loads_questionnaire("name: t\\nitems:\\n  - {name: gender, type: text}")
        >>> q.columns_for("gender")
        ['gender']
        """
        item = self.item(name)
        if item.type != "multiple":
            return [name]
        return [item.option_columns.get(opt, f"{name}_{opt}") for opt in item.options]

    def column_aliases(self) -> dict[str, str]:
        r"""Other names the data columns may carry → the questionnaire's column name.

        Kobo exports can prefix a question with its group path (``trust_block/q7_trust``,
        or ``trust_block_q7_trust`` once ``/`` is normalised to ``_``) and write
        multiple-choice options as ``q15_issues/theft``.

        >>> from trustsurvey.questionnaire import loads_questionnaire
        >>> q = loads_questionnaire("name: t\nitems:\n  - {name: a, type: text, group: g}")
        >>> q.column_aliases()
        {'g/a': 'a', 'g_a': 'a'}
        """
        aliases: dict[str, str] = {}
        for item in self.items.values():
            columns = self.columns_for(item.name)
            if item.type == "multiple":
                for option, column in zip(item.options, columns, strict=True):
                    aliases[f"{item.name}/{option}"] = column
            prefixes = []
            if item.group:
                prefixes = [item.group + "/", item.group.replace("/", "_") + "_"]
            for column in columns:
                for prefix in prefixes:
                    aliases[prefix + column] = column
                    if item.type == "multiple":
                        option_part = column[len(item.name) + 1 :]
                        aliases[f"{prefix}{item.name}/{option_part}"] = column
        return {k: v for k, v in aliases.items() if k != v}

    def missing_codes(self) -> dict[str, dict[Code, Text]]:
        """Missing-answer codes per data column (columns without any are left out)."""
        out: dict[str, dict[Code, Text]] = {}
        for item in self.items.values():
            if item.missing:
                for column in self.columns_for(item.name):
                    out[column] = dict(item.missing)
        return out

    def missing_codes_of_kind(self, item_name: str, *kinds: str) -> list[Code]:
        """The missing codes of an item that are of one of ``kinds`` (all its missing codes
        when no kind is given), in the questionnaire's order.

        >>> from trustsurvey.questionnaire import loads_questionnaire
        >>> q = loads_questionnaire('''
        ... name: t
        ... items:
        ...   - name: q1
        ...     type: numeric
        ...     missing: {77: {en: Refused, kind: refused}, 88: {en: DK, kind: dont_know}}
        ... ''')
        >>> q.missing_codes_of_kind("q1", "dont_know", "refused")
        [77, 88]
        """
        item = self.item(item_name)
        for kind in kinds:
            if kind not in MISSING_KINDS:
                raise QuestionnaireError(
                    f"unknown missing-code kind {kind!r}",
                    file=self.source,
                    item=item_name,
                    hint=f"use one of: {', '.join(MISSING_KINDS)}",
                )
        wanted = set(kinds or MISSING_KINDS)
        return [code for code, kind in item.missing_kinds.items() if kind in wanted]

    def missing_kinds(self) -> dict[str, dict[Code, str]]:
        """The kind of every missing-answer code per data column (like :meth:`missing_codes`).

        >>> from trustsurvey.questionnaire import loads_questionnaire
        >>> q = loads_questionnaire("name: t\\nitems:\\n  - {name: q1, type: multiple, "
        ...     "options: {a: A, b: B}, missing: {9: {en: Refused, kind: refused}}}")
        >>> q.missing_kinds()
        {'q1_a': {9: 'refused'}, 'q1_b': {9: 'refused'}}
        """
        out: dict[str, dict[Code, str]] = {}
        for item in self.items.values():
            if item.missing:
                for column in self.columns_for(item.name):
                    out[column] = dict(item.missing_kinds)
        return out

    def items_with_role(self, role: str) -> list[str]:
        """Names of the items carrying ``role`` (e.g. "design", "outcome"), in questionnaire
        order; QuestionnaireError for a role that does not exist.

        >>> from trustsurvey.questionnaire import loads_questionnaire
        >>> q = loads_questionnaire('''
        ... name: t
        ... items:
        ...   - {name: region, type: text, roles: [covariate, grouping]}
        ...   - {name: q1, type: numeric, roles: [outcome]}
        ...   - {name: gender, type: text, roles: [covariate]}
        ... ''')
        >>> q.items_with_role("covariate")
        ['region', 'gender']
        """
        if role not in ROLES:
            raise QuestionnaireError(
                f"unknown role {role!r}",
                file=self.source,
                hint=_suggest(role, sorted(ROLES)) or f"roles are: {', '.join(sorted(ROLES))}",
            )
        return [i.name for i in self.items.values() if role in i.roles]

    @property
    def pii_items(self) -> list[str]:
        """Names of the items flagged as personal data (never published)."""
        return [i.name for i in self.items.values() if i.pii]

    # ------------------------------------------------------------------ data
    def _selected(self, frame: pd.DataFrame, item: str, option: Code) -> pd.Series:
        it = self.items.get(item)
        if it is not None and option in it.option_columns:
            column = it.option_columns[option]
            if column in frame.columns:
                values = pd.to_numeric(frame[column], errors="coerce")
                return (values.fillna(0) != 0).astype(bool)
        return expressions.default_selected(frame, item, option)

    def _count_selected(self, frame: pd.DataFrame, item: str) -> pd.Series:
        it = self.items.get(item)
        if it is not None and it.type == "multiple":
            columns = [c for c in self.columns_for(item) if c in frame.columns]
            if columns:
                ticked = frame[columns].apply(pd.to_numeric, errors="coerce").fillna(0) != 0
                return ticked.sum(axis=1).astype("float64")
        return expressions.default_count(frame, item)

    def relevant_mask(self, name: str, frame: pd.DataFrame) -> pd.Series:
        """Boolean Series: rows where item ``name`` should have been asked (NaN-safe).

        An item is asked where its own ``relevant`` holds; a comparison with a missing
        value is False. Items without skip logic are asked of everyone.

        >>> import pandas as pd
        >>> from trustsurvey.questionnaire import loads_questionnaire
        >>> q = loads_questionnaire('''
        ... name: t
        ... items:
        ...   - {name: contact, type: single, codes: {0: "No", 1: "Yes"}}
        ...   - {name: satisfied, type: numeric, min: 1, max: 5, relevant: contact == 1}
        ... ''')
        >>> frame = pd.DataFrame({"contact": [1, 0, None]})
        >>> q.relevant_mask("satisfied", frame).tolist()
        [True, False, False]
        """
        item = self.item(name)
        if not item.relevant:
            return pd.Series(True, index=frame.index, dtype=bool)
        try:
            return expressions.evaluate(item.relevant, frame, self._selected, self._count_selected)
        except KeyError as err:
            raise QuestionnaireError(
                f"the data have no column {err.args[0]!r} needed by relevant: {item.relevant}",
                file=self.source,
                item=name,
                hint="pass a frame holding the filter question's column",
            ) from None

    def compute_indices(self, frame: pd.DataFrame, names: list[str] | None = None) -> pd.DataFrame:
        """Composite scores, one column per index, on the analysis view of the data.

        ``names`` chooses indices (a missing item column then raises QuestionnaireError);
        by default every index whose item columns are all in ``frame`` is computed, and the
        names of the others are listed in ``result.attrs["skipped"]``.

        Missing-answer codes never enter a score (any left in ``frame`` are set to NaN);
        reversed items become ``(min + max) - x``; a row with fewer than ``min_valid``
        valid items gets NaN. ``mean`` averages the valid items; ``sum`` adds them.
        An index may use other indices (computed first; definitions are acyclic).

        >>> import pandas as pd
        >>> from trustsurvey.questionnaire import loads_questionnaire
        >>> q = loads_questionnaire('''
        ... name: t
        ... scales: {agree: {codes: {1: a, 2: b, 3: c, 4: d, 5: e}, missing: {8: DK}}}
        ... items:
        ...   - {name: q1, type: likert, scale: agree}
        ...   - {name: q2, type: likert, scale: agree}
        ...   - {name: q3, type: likert, scale: agree, reverse: true}
        ... indices:
        ...   - {name: ix, items: [q1, q2, q3], reversed: [q3], min_valid: 2}
        ... ''')
        >>> f = pd.DataFrame({"q1": [5, 4], "q2": [4, 8], "q3": [2, None]})
        >>> q.compute_indices(f)["ix"].tolist()  # (5 + 4 + (6 - 2)) / 3; one valid item
        [4.333333333333333, nan]
        """
        wanted = self._wanted_indices(frame, names)
        scores: dict[str, pd.Series] = {}
        for name in self._index_order():
            if name not in wanted:
                continue
            index = self.indices[name]
            parts = []
            for member in index.items:
                if member in scores:
                    values = scores[member]
                else:
                    if member not in frame.columns:
                        raise QuestionnaireError(
                            f"the data have no column {member!r} needed by index {name!r}",
                            file=self.source,
                            item=member,
                            hint="read the data file that holds the index items",
                        )
                    values = pd.to_numeric(frame[member], errors="coerce").astype(float)
                    item = self.items[member]
                    if item.missing:
                        miss = numeric_codes(item.missing) or []
                        values = values.mask(values.isin(miss))
                    if member in index.reversed:
                        values = item.reverse_values(values)
                parts.append(values.rename(member))
            block = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
            n_valid = block.notna().sum(axis=1)
            total = block.sum(axis=1, skipna=True)
            score = total / n_valid.replace(0, np.nan) if index.method == "mean" else total
            scores[name] = score.where(n_valid >= index.min_valid).astype(float)
        result = pd.DataFrame(
            {n: scores[n] for n in self.indices if n in scores}, index=frame.index
        )
        result.attrs["skipped"] = [n for n in self.indices if n not in wanted]
        return result

    def _wanted_indices(self, frame: pd.DataFrame, names: list[str] | None) -> set[str]:
        """Indices to compute, with the indices they build on."""

        def closure(name: str) -> set[str]:
            out = {name}
            for member in self.indices[name].items:
                if member in self.indices:
                    out |= closure(member)
            return out

        if names is not None:
            wanted: set[str] = set()
            for name in names:
                if name not in self.indices:
                    raise QuestionnaireError(
                        "unknown index",
                        file=self.source,
                        item=name,
                        hint=_suggest(name, list(self.indices)) or "name an index",
                    )
                wanted |= closure(name)
            return wanted
        return {
            name
            for name in self.indices
            if all(
                m in frame.columns
                for sub in closure(name)
                for m in self.indices[sub].items
                if m not in self.indices
            )
        }

    def _index_order(self) -> list[str]:
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for member in self.indices[name].items:
                if member in self.indices:
                    visit(member)
            order.append(name)

        for name in self.indices:
            visit(name)
        return order

    # ------------------------------------------------------------------ output
    def to_data(self) -> dict:
        """The questionnaire as plain data in the YAML format (canonical, loadable)."""
        from trustsurvey.questionnaire.serialize import questionnaire_to_data

        return questionnaire_to_data(self)

    def dumps(self) -> str:
        """Canonical YAML text."""
        from trustsurvey.questionnaire.serialize import dump_yaml

        return dump_yaml(self.to_data())

    def to_yaml(self, path: str | Path) -> Path:
        """Write the questionnaire as YAML (atomically: temp file + os.replace)."""
        from trustsurvey.questionnaire.serialize import atomic_write_text

        return atomic_write_text(path, self.dumps())

    def hash(self) -> str:
        """sha256 of the canonical YAML: identifies the exact instrument a study used."""
        return hashlib.sha256(self.dumps().encode("utf-8")).hexdigest()

    def summary(self) -> dict[str, object]:
        """Counts for a quick look: items by type, scales, indices, PII items."""
        types: dict[str, int] = {}
        for item in self.items.values():
            types[item.type] = types.get(item.type, 0) + 1
        return {
            "name": self.name,
            "version": self.version,
            "items": len(self.items),
            "types": types,
            "scales": list(self.scales),
            "indices": list(self.indices),
            "pii": self.pii_items,
            "with_skip_logic": [i.name for i in self.items.values() if i.relevant],
            "themes": len(self.codebook.themes) if self.codebook else 0,
        }


def _suggest(word: str, choices: list[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None

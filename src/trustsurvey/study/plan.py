"""The analysis plan of a study: what ``analysis:`` in ``study.yaml`` declares, with the
questionnaire's defaults for what it leaves out.

::

    analysis:
      outcomes: [q7_trust, q8_1, q12_safety, pj]   # items or indices, in the order readers see them
      subgroups: [gender, age_cat]                 # breakdowns published as "By group"
      adjust: [gender, age_cat, settl_type]        # covariates of the adjusted DiD
      distributions: [q7_trust, q8_1]              # Likert/single-choice items: answer shares
      multiple: [q20_issues]                       # multiple-choice items: shares per option

Each key is optional. Defaults: ``outcomes`` the items with role ``outcome`` (questionnaire
order) then every index; ``subgroups`` the items with role ``grouping`` (not those that are
also the treatment, community or wave); ``adjust`` the items with role ``covariate``;
``distributions`` the Likert items among the outcomes; ``multiple`` the multiple-choice items
with role ``outcome``. A name the questionnaire does not know, an outcome that is text, a date
or an identifier, a subgroup or covariate without codes or with more than
:data:`MAX_LEVELS` of them, are :class:`~trustsurvey.errors.StudyError` naming ``study.yaml``,
the key path and its line.

>>> import tempfile
>>> from trustsurvey.example import generate_example
>>> from trustsurvey.study import load_study
>>> plan = load_study(generate_example(tempfile.mkdtemp() + "/s")).plan
>>> len(plan.outcomes) > 0, set(plan.distributions) <= set(plan.outcomes) | set(plan.distributions)
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trustsurvey.study.spec import fail_at

if TYPE_CHECKING:  # pragma: no cover
    from trustsurvey.questionnaire import Questionnaire
    from trustsurvey.study.model import Study

#: the most levels a subgroup may have (more would publish mostly small cells)
MAX_LEVELS = 12
#: the keys of ``analysis:``
PLAN_KEYS = ("outcomes", "subgroups", "adjust", "distributions", "multiple")
#: item types that cannot be an outcome
_NOT_OUTCOMES = ("text", "identifier", "date", "multiple")
#: roles of the items that structure the study rather than describe respondents
_STRUCTURE_ROLES = ("treatment", "community", "wave")


@dataclass(frozen=True)
class AnalysisPlan:
    """The resolved plan: every list in the order the outputs use.

    ``declared`` names the keys ``study.yaml`` gave (the others are the questionnaire's
    defaults).
    """

    outcomes: tuple[str, ...] = ()
    subgroups: tuple[str, ...] = ()
    adjust: tuple[str, ...] = ()
    distributions: tuple[str, ...] = ()
    multiple: tuple[str, ...] = ()
    declared: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, list[str]]:
        """The plan as written to the bundle manifest."""
        return {k: list(getattr(self, k)) for k in PLAN_KEYS}

    def present(self, key: str, columns: Any) -> list[str]:
        """The names of ``key`` whose column is in ``columns`` (e.g. the analysis frame's)."""
        cols = set(columns)
        return [n for n in getattr(self, key) if n in cols]


def _defaults(q: Questionnaire) -> dict[str, tuple[str, ...]]:
    items = q.items

    def has(name: str, role: str) -> bool:
        return role in items[name].roles

    outcome_items = [n for n in items if has(n, "outcome") and items[n].type not in _NOT_OUTCOMES]
    outcomes = (*outcome_items, *q.indices)
    subgroups = tuple(
        n
        for n in items
        if has(n, "grouping")
        and not any(has(n, r) for r in _STRUCTURE_ROLES)
        and 0 < len(items[n].codes) <= MAX_LEVELS
    )
    return {
        "outcomes": outcomes,
        "subgroups": subgroups,
        "adjust": tuple(n for n in items if has(n, "covariate")),
        "distributions": (),  # the Likert items among the outcomes: see resolve_plan
        "multiple": tuple(n for n in items if has(n, "outcome") and items[n].type == "multiple"),
    }


def resolve_plan(study: Study) -> AnalysisPlan:
    """The study's plan: ``analysis:`` of ``study.yaml`` checked against the questionnaire,
    the questionnaire's defaults for the keys it leaves out (see the module doc)."""
    q = study.questionnaire
    raw = study.raw.get("analysis") or {}
    lines = study.lines

    def fail(path: str, message: str, hint: str) -> Exception:
        return fail_at(study.file, lines, path, message, hint)

    defaults = _defaults(q)
    values: dict[str, tuple[str, ...]] = {}
    known = [*q.items, *q.indices]
    for key in PLAN_KEYS:
        if raw.get(key) is None:
            values[key] = defaults[key]
            continue
        names = tuple(str(n) for n in raw[key])
        for i, name in enumerate(names):
            path = f"analysis.{key}[{i}]"
            _check_name(q, key, name, path, fail, known)
            if names.index(name) != i:
                raise fail(path, f"'{name}' is listed twice", "list each name once")
        values[key] = names
    if raw.get("distributions") is None:  # the Likert items among the outcomes used
        values["distributions"] = tuple(
            n for n in values["outcomes"] if n in q.items and q.items[n].type == "likert"
        )
    return AnalysisPlan(**values, declared=frozenset(k for k in PLAN_KEYS if k in raw))


def _check_name(q: Questionnaire, key: str, name: str, path: str, fail: Any, known: list) -> None:
    """Raise for a name of ``analysis.<key>`` the questionnaire cannot serve."""
    import difflib

    index = name in q.indices
    if name not in q.items and not (index and key == "outcomes"):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        what = "an item or index" if key == "outcomes" else "an item"
        raise fail(
            path,
            f"'{name}' is not {what} of the questionnaire",
            hint + "name a questionnaire item (trustsurvey questionnaire show Q lists them)",
        )
    if index:
        return
    item = q.items[name]
    if key == "outcomes" and item.type in _NOT_OUTCOMES:
        extra = " (list it under analysis.multiple)" if item.type == "multiple" else ""
        raise fail(
            path,
            f"'{name}' is a {item.type} item and cannot be an outcome{extra}",
            "use Likert, single-choice or numeric items, or indices, as outcomes",
        )
    if key == "multiple" and item.type != "multiple":
        raise fail(
            path,
            f"'{name}' is a {item.type} item, not a multiple-choice one",
            "list multiple-choice items here; single items go under outcomes or distributions",
        )
    if key == "distributions" and item.type not in ("likert", "single"):
        raise fail(
            path,
            f"'{name}' is a {item.type} item: it has no answer shares to publish",
            "list Likert or single-choice items here",
        )
    if key == "adjust" and item.type in _NOT_OUTCOMES:
        raise fail(
            path,
            f"'{name}' is a {item.type} item and cannot be a covariate",
            "adjust for single-choice or numeric items",
        )
    if key == "subgroups":
        levels = len(item.codes)
        if levels == 0:
            raise fail(
                path,
                f"'{name}' has no answer codes, so it cannot define groups",
                "use a single-choice item (recode a number into groups in the questionnaire)",
            )
        if levels > MAX_LEVELS:
            raise fail(
                path,
                f"'{name}' has {levels} levels (more than {MAX_LEVELS})",
                "group its answers into fewer categories in a new item",
            )

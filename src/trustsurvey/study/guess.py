"""Guess a column's part in a study from its name, label and values (uk, ru, en).

Each rule is data: a role, a pattern for column names and one for variable labels (lower
case). :func:`match_role` returns the first matching rule's reason, so a draft can say what
each guess was made from. The guesses are only guesses: ``trustsurvey init`` writes each one
with a comment saying what to check.

>>> match_role("cluster", "Номер кластера", "psu")
"name 'cluster'"
>>> match_role("q1", "Вага респондента", "weights")
"label 'Вага респондента'"
>>> match_role("q7_trust", "Наскільки Ви довіряєте поліції?", "weights") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """Columns whose name (or label) matches these patterns play ``role``."""

    role: str
    name: str
    label: str
    check: str


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


#: role -> rule; the order is the order the draft assigns them (a column gets one design role)
RULES: dict[str, Rule] = {
    r.role: r
    for r in (
        Rule(
            "id",
            r"^(resp(ondent)?_?(id|no|num)|id|case_?id|id_?anket\w*|n_?anket\w*|anketa|"
            r"questionnaire_?id|interview_?id|respid)$",
            r"ідентифікатор|номер анкети|id респондента|номер респондента|номер анкеты|"
            r"идентификатор|respondent id|respondent number|case id|questionnaire number",
            "every interview has its own id",
        ),
        Rule(
            "wave",
            r"^(wave|waves|wave_?(id|no|num|code)|hvyl(i|y)a|khvyl(i|y)a|хвиля|volna|волна|"
            r"round|survey_?round)$",
            r"^\W*(хвиля|хвилі|волна|wave|round)\b|^номер (хвилі|волны)|^(survey )?wave\b",
            "the codes are the waves' codes in study.yaml",
        ),
        Rule(
            "psu",
            r"^(psu|psu_?(id|code|no)|cluster|cluster_?(id|no|code)|klaster|кластер|"
            r"sampling_?point|tochka|точка)$",
            r"кластер|первинн\w* одиниц|первичн\w* единиц|primary sampling unit|\bpsu\b|"
            r"\bcluster\b|точка опитування|точка опроса|sampling point",
            "one code per cluster (primary sampling unit) of the sample",
        ),
        Rule(
            "strata",
            r"^(strat\w*|страт\w*)$",
            r"\bстрат|\bstrat",
            "one code per stratum; PSUs are drawn within strata",
        ),
        Rule(
            "weights",
            r"^(weight\w*|wt|wgt\w*|w|pw|dw|design_?weight|vaga\w*|vaha\w*|ves|waga|вага|вес)$",
            r"\bвага\b|\bваги\b|дизайн-вага|\bвес\b|\bвеса\b|weight",
            "the design (or final) weight: larger for people less likely to be sampled",
        ),
        Rule(
            "community",
            r"^(community|communities|hromad\w*|gromad\w*|hromada_?id|otg|tg|громада|"
            r"hromada_code|katottg\w*|community_?(id|code))$",
            r"^\W*(територіальн\w* )?(громада|громади|община)\b|^\W*(territorial )?community\b|"
            r"^\W*hromada\b|катоттг|^\W*(отг|тг)\b",
            "the community (hromada) each respondent lives in",
        ),
        Rule(
            "interviewer",
            r"^(interviewer(_?(id|code|no))?|int_?(id|code|no)|intv(_?(id|code))?|inter_?code|"
            r"interv(_?(id|code|no))?)$",
            r"інтерв.?юер|интервьюер|interviewer",
            "one code per interviewer (for the interviewer checks)",
        ),
        Rule(
            "duration",
            r"^(duration\w*|tryval\w*|dlit\w*|length_?min|interview_?length|time_?min)$",
            r"тривалість|длительность|duration|length of (the )?interview",
            "the interview's length in minutes (for the speeder check)",
        ),
    )
}
#: staggered adoption: the first wave a respondent's community runs the programme in
FIRST_TREATED = (
    r"^(first_?treat\w*|cohort|adoption_?wave|first_?wave|treat(ment)?_?(wave|start)|"
    r"start_?wave|g_?name|khvylia_?startu|pochatok_?prohramy)$",
    r"перш\w* хвил\w* (програм|участ)|хвиля (початку|приєднання|входу)|"
    r"перв\w* волн\w* (програм|участ)|first (treated )?wave|wave (of )?(adoption|joining)|"
    r"cohort",
)
#: treatment (pilot/control) columns: by name, or by value labels naming the pilot
TREATMENT_NAME = _rx(r"^(pilot|treat\w*|arm|grupa|group_?type|група|pilot_?community)$")
PILOT_LABEL = _rx(r"пілот|пилот|pilot|treat|втручан|експеримент|эксперимент|intervention")
CONTROL_LABEL = _rx(r"контрол|control|порівнян|сравнен|comparison")
#: demographics a study breaks results down by (grouping) and adjusts for (covariate)
DEMOGRAPHICS: dict[str, tuple[str, str]] = {
    "sex or gender": (
        r"^(sex|gender|stat|стать|пол|sex_?code)$",
        r"^стать\b|^пол\b|^sex\b|^gender\b",
    ),
    "age group": (
        r"^(age_?(cat\w*|gr\w*|band\w*|class\w*)|agegr\w*|vik_?gr\w*|вікова_?група)$",
        r"вікова група|возрастная группа|age group|вікова категорія|age band",
    ),
    "settlement type": (
        r"^(settlement|settl_?type|type_?settl\w*|typ_?np|tip_?np|urban\w*|urb_?rur|"
        r"place_?type|np_?type)$",
        r"тип населеного пункту|тип поселення|тип населенного пункта|settlement type|"
        r"type of settlement|місто.{1,3}село|город.{1,3}село|urban.{1,3}rural",
    ),
}
EDUCATION = (r"^(educ\w*|osvita|освіта|obrazovanie)$", r"освіта|образование|education")
REGION = (
    r"^(raion|rayon|district|region|oblast|район|область)$",
    r"^район|^область|district|region",
)
PII = (
    r"^(phone\w*|tel\w*|mobile|e_?mail|fio|pib|full_?name|name|address|adresa)$",
    r"телефон|phone|e-mail|email|піб|прізвище|фио|фамилия|full name|адреса|адрес|address",
)
#: labels of a ticked / not ticked multiple-choice column
TICKED = _rx(r"^(обрано|вибрано|так|выбрано|да|selected|chosen|yes|checked|1)$")
EXCLUSIVE = _rx(r"жодн|нічого з|ничего из|ни одн|none of|немає|нет таких|^none$")


def _matches(pattern: str, text: str | None) -> bool:
    return bool(text) and _rx(pattern).search(str(text).strip()) is not None


def match_role(name: str, label: str | None, role: str) -> str | None:
    """Why column ``name`` (with variable ``label``) looks like it plays ``role``, or None."""
    rule = RULES[role]
    if _matches(rule.name, name):
        return f"name '{name}'"
    if _matches(rule.label, label):
        return f"label '{label}'"
    return None


def match_pair(name: str, label: str | None, patterns: tuple[str, str]) -> str | None:
    """Like :func:`match_role` for a (name pattern, label pattern) pair."""
    if _matches(patterns[0], name):
        return f"name '{name}'"
    if _matches(patterns[1], label):
        return f"label '{label}'"
    return None


def demographic(name: str, label: str | None) -> tuple[str, str] | None:
    """(which demographic, why) for sex, age group and settlement type columns."""
    for what, patterns in DEMOGRAPHICS.items():
        why = match_pair(name, label, patterns)
        if why:
            return what, why
    return None


def pilot_code(codes: Mapping[Any, str]) -> tuple[Any, str] | None:
    """The code whose label names the pilot (treated) arm, when another names the control.

    >>> pilot_code({1: "Пілотна громада", 2: "Контрольна громада"})
    (1, "value labels 'Пілотна громада' / 'Контрольна громада'")
    >>> pilot_code({1: "Так", 2: "Ні"}) is None
    True
    """
    pilots = [c for c, text in codes.items() if text and PILOT_LABEL.search(str(text))]
    controls = [c for c, text in codes.items() if text and CONTROL_LABEL.search(str(text))]
    pilots = [c for c in pilots if c not in controls]
    if len(pilots) == 1 and controls:
        return pilots[0], f"value labels '{codes[pilots[0]]}' / '{codes[controls[0]]}'"
    return None


def multiple_choice_runs(
    columns: Iterable[str], codes: Mapping[str, Mapping[Any, str]], min_columns: int = 3
) -> list[tuple[str, list[str]]]:
    """Runs of adjacent 0/1 columns ``prefix_option`` that look like one multiple-choice
    question: the same two value labels (ticked / not ticked), at least ``min_columns``.

    >>> labels = {c: {0: "Не обрано", 1: "Обрано"} for c in ("q16_1", "q16_2", "q16_3")}
    >>> multiple_choice_runs(["id", "q16_1", "q16_2", "q16_3", "q17"], labels)
    [('q16', ['q16_1', 'q16_2', 'q16_3'])]
    """
    runs: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    for col in columns:
        prefix = col.rsplit("_", 1)[0] if "_" in col else None
        labels = codes.get(col) or {}
        keys = {float(k) for k in labels if isinstance(k, int | float)}
        ok = (
            prefix is not None
            and keys == {0.0, 1.0}
            and TICKED.search(str(labels.get(1, labels.get(1.0, ""))).strip() or "-") is not None
        )
        if ok and current is not None and current[0] == prefix:
            current[1].append(col)
            continue
        if current is not None and len(current[1]) >= min_columns:
            runs.append(current)
        current = (prefix, [col]) if ok and prefix else None
    if current is not None and len(current[1]) >= min_columns:
        runs.append(current)
    return runs

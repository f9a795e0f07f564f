"""Kinds of missing-answer codes: reading them from labels, the model, the YAML round trip."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustsurvey.errors import QuestionnaireError
from trustsurvey.questionnaire import (
    MISSING_KINDS,
    ROLES,
    Item,
    Scale,
    Text,
    instrument_path,
    list_instruments,
    load_questionnaire,
    loads_questionnaire,
)
from trustsurvey.questionnaire.missing_kinds import (
    infer_missing_kind,
    kind_suggestions,
    looks_like_missing_code,
    missing_kind_lines,
    normalise_label,
    split_missing_codes,
)

LABELS = {
    "dont_know": [
        "Важко відповісти",
        "Важко сказати",
        "Не знаю",
        "Затрудняюсь ответить",
        "Затрудняюсь",
        "Трудно сказать",
        "Difficult to answer",
        "Hard to say",
        "Don't know",
        "Do not know",
        "DK",
        "Can't choose",
        "Важко відповісти / не знаю",
    ],
    "refused": [
        "Відмова",
        "Відмова від відповіді",
        "Відмовився відповідати",
        "Отказ",
        "Отказ от ответа",
        "Refused",
        "Refusal",
        "Prefer not to say",
    ],
    "not_applicable": [
        "Не застосовно",
        "Не стосується",
        "Не применимо",
        "Not applicable",
        "N/A",
        "Питання не ставилося",
    ],
    "missing": ["No answer", "Немає відповіді", "Нет ответа", "Без відповіді", "Missing"],
}
CASES = [(label, kind) for kind, labels in LABELS.items() for label in labels]

#: labels of substantive answers, some with a missing-answer phrase inside
ANSWERS = [
    "Скоріше довіряю",
    "Важко сказати однозначно",  # the middle of a 1-5 trust scale, not a missing answer
    "Ні, не знаю його",
    "Не знаю свого дільничного",
    "I don't know anyone in the police",
    "Refused entry to the building",
    "Так",
    "Ні",
    "Other",
    "Neither agree nor disagree",
    "0 — зовсім не довіряю",
    "",
]


@pytest.mark.parametrize(("label", "kind"), CASES)
def test_labels_in_three_languages(label, kind):
    assert infer_missing_kind(label) == kind


@pytest.mark.parametrize("label", ANSWERS)
def test_substantive_answers_are_not_missing(label):
    assert infer_missing_kind(label) is None


def test_first_recognised_label_decides_and_none_are_skipped():
    assert infer_missing_kind(None, "Скоріше так", "Відмова", "Don't know") == "refused"
    assert infer_missing_kind() is None
    assert infer_missing_kind(None, None) is None
    # a label naming two kinds gets the first one it names
    assert infer_missing_kind("Важко відповісти / відмова") == "dont_know"
    assert infer_missing_kind("Відмова / важко відповісти") == "refused"


_APOSTROPHES = ["'", "’", "ʼ", "`"]


@st.composite
def disguised(draw):
    """A known label with its case, apostrophes, spacing, numbering and remarks changed."""
    label, kind = draw(st.sampled_from(CASES))
    chars = [c.upper() if draw(st.booleans()) else c.lower() for c in label]
    text = "".join(chars)
    text = "".join(draw(st.sampled_from(_APOSTROPHES)) if c == "'" else c for c in text)
    text = text.replace(" ", " " * draw(st.integers(1, 3)))
    prefix = draw(st.sampled_from(["", "  ", "98. ", "99 - ", "9) ", "-1 "]))
    suffix = draw(st.sampled_from(["", " ", ".", " (НЕ ЗАЧИТУВАТИ)", " [do not read]", "*"]))
    return prefix + text + suffix, kind


@settings(max_examples=300, deadline=None, derandomize=True)
@given(disguised())
def test_case_apostrophes_spacing_and_remarks_do_not_matter(case):
    label, kind = case
    assert infer_missing_kind(label) == kind, label


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(st.text(max_size=40), disguised().map(lambda case: case[0])))
def test_any_text_gives_a_kind_or_none(text):
    kind = infer_missing_kind(text)
    assert kind is None or kind in MISSING_KINDS
    # surrounding spaces do not matter, and a normalised label names the same kind
    assert infer_missing_kind(f"  {text}\t ") == kind
    assert kind is None or infer_missing_kind(normalise_label(text)) == kind


def test_bundled_instruments_declare_the_kinds_their_labels_name():
    for name in list_instruments():
        q = load_questionnaire(instrument_path(name))
        for item in q.items.values():
            for code, text in item.missing.items():
                assert infer_missing_kind(text.uk, text.en) == item.missing_kinds[code], (
                    name,
                    item.name,
                    code,
                )
            for text in [*item.codes.values(), *item.options.values()]:
                assert infer_missing_kind(text.uk, text.en) is None, (name, item.name, text)
        assert kind_suggestions(q) == []


def test_missing_code_places():
    assert looks_like_missing_code(98, [1, 2, 3, 4, 5])
    assert looks_like_missing_code(9, [1, 2, 8])
    assert looks_like_missing_code(6, [1, 2, 3, 4, 5])
    assert looks_like_missing_code(0, [1, 2, 3, 4, 5])
    assert looks_like_missing_code(-1, [1, 2, 3])
    assert looks_like_missing_code(99, [])  # the only labelled code of a numeric question
    assert not looks_like_missing_code(2, [1, 2, 3])  # "2 = Не знаю" between 1 and 3
    assert not looks_like_missing_code(8, [1, 2, 9, 10])  # among the other codes
    assert not looks_like_missing_code("dk", [1, 2])
    assert not looks_like_missing_code(True, [0])
    assert not looks_like_missing_code(8.5, [1, 2])


def test_split_missing_codes_moves_only_codes_in_missing_places():
    notes: list[str] = []
    codes = {1: Text(uk="Так"), 2: Text(uk="Не знаю"), 3: Text(uk="Ні"), 99: Text(uk="Відмова")}
    codes, missing, kinds = split_missing_codes(
        codes, {9: Text(uk="Немає відповіді")}, where="q5", notes=notes
    )
    assert list(codes) == [1, 2, 3]
    assert list(missing) == [9, 99]
    assert kinds == {9: "missing", 99: "refused"}
    assert any("code 99" in n and "read as a missing code" in n for n in notes)
    assert any("code 2" in n and "kept as an answer" in n for n in notes)
    # 98 and 99 both named: each is judged against the answer codes only
    codes = {1: Text(en="Yes"), 2: Text(en="No"), 98: Text(en="DK"), 99: Text(en="Refused")}
    codes, _, kinds = split_missing_codes(codes, {}, where="q6", notes=[])
    assert list(codes) == [1, 2] and kinds == {98: "dont_know", 99: "refused"}
    # a declared kind is kept even when the label names another one
    _, _, kinds = split_missing_codes(
        {}, {8: Text(en="Refused")}, {8: "dont_know"}, where="q", notes=[]
    )
    assert kinds == {8: "dont_know"}


# --------------------------------------------------------------------------- model


def test_item_and_scale_fill_in_the_default_kind():
    item = Item("q", "single", codes={1: Text.same("a")}, missing={8: Text(), 9: Text()})
    assert item.missing_kinds == {8: "missing", 9: "missing"}
    scale = Scale("s", {1: Text.same("a")}, {8: Text()}, missing_kinds={8: "refused"})
    assert scale.missing_kinds == {8: "refused"}
    # kinds of codes that are not missing codes are dropped
    item = Item("q", "single", codes={1: Text.same("a")}, missing={8: Text()},
                missing_kinds={8: "dont_know", 7: "refused"})  # fmt: skip
    assert item.missing_kinds == {8: "dont_know"}
    with pytest.raises(ValueError, match="unknown missing-code kind 'dk'"):
        Item("q", "single", codes={1: Text.same("a")}, missing={8: Text()},
             missing_kinds={8: "dk"})  # fmt: skip


YAML = """
name: kinds
scales:
  agree:
    codes: {1: {uk: Ні}, 2: {uk: Так}}
    missing:
      8: {uk: Важко відповісти, kind: dont_know}
      9: {uk: Відмова, en: Refused, kind: refused}
      7: {kind: not_applicable}
items:
  - {name: a, type: single, scale: agree, roles: [outcome]}
  - name: b
    type: single
    scale: agree
    missing: {99: {en: No answer}, 97: {en: Not asked, kind: not_applicable}}
    roles: [covariate]
  - {name: c, type: numeric, min: 0, max: 10, missing: {-1: {en: DK, kind: dont_know}}}
  - {name: d, type: single, scale: agree, roles: [outcome, grouping]}
  - name: m
    type: multiple
    options: {x: X, y: "Y"}
    missing: {99: {uk: Відмова, kind: refused}}
"""


@pytest.fixture(scope="module")
def q():
    return loads_questionnaire(YAML)


def test_kinds_from_the_scale_and_from_the_item(q):
    assert q.item("a").missing_kinds == {8: "dont_know", 9: "refused", 7: "not_applicable"}
    assert q.item("b").missing_kinds == {99: "missing", 97: "not_applicable"}
    assert q.item("c").missing_kinds == {-1: "dont_know"}
    assert q.scales["agree"].missing_kinds == q.item("a").missing_kinds
    assert q.item("a").missing[7] == Text()


def test_missing_codes_of_kind(q):
    assert q.missing_codes_of_kind("a", "dont_know") == [8]
    assert q.missing_codes_of_kind("a", "refused", "dont_know") == [8, 9]  # the item's order
    assert q.missing_codes_of_kind("a") == [8, 9, 7]
    assert q.missing_codes_of_kind("b", "dont_know") == []
    assert q.missing_codes_of_kind("c", "dont_know") == [-1]
    with pytest.raises(QuestionnaireError, match="unknown missing-code kind 'dk'"):
        q.missing_codes_of_kind("a", "dk")
    with pytest.raises(QuestionnaireError, match="unknown item"):
        q.missing_codes_of_kind("zz", "dont_know")


def test_missing_kinds_per_data_column(q):
    kinds = q.missing_kinds()
    assert kinds["a"] == {8: "dont_know", 9: "refused", 7: "not_applicable"}
    assert kinds["m_x"] == kinds["m_y"] == {99: "refused"}
    assert set(kinds) == set(q.missing_codes())


def test_roles_outcome_and_covariate_in_questionnaire_order(q):
    assert {"outcome", "covariate"} <= ROLES
    assert q.items_with_role("outcome") == ["a", "d"]
    assert q.items_with_role("covariate") == ["b"]
    assert q.items_with_role("grouping") == ["d"]
    assert q.items_with_role("wave") == []
    with pytest.raises(QuestionnaireError, match="unknown role 'outcomes'") as info:
        q.items_with_role("outcomes")
    assert "did you mean 'outcome'" in str(info.value)


def test_core_instrument_outcomes_and_covariates():
    core = load_questionnaire(instrument_path("police_trust_core"))
    assert core.items_with_role("outcome") == [
        "trust_police",
        "safe_night",
        "aware_officer",
        "problems",
    ]
    assert core.items_with_role("covariate") == ["settlement", "sex", "agegrp"]
    assert core.missing_codes_of_kind("trust_police_10", "dont_know") == [88]
    assert core.missing_codes_of_kind("education", "dont_know") == []
    assert core.missing_codes_of_kind("education", "refused") == [9]


# --------------------------------------------------------------------------- YAML out


def test_round_trip_keeps_the_kinds(q):
    text = q.dumps()
    assert "kind: dont_know" in text and "kind: not_applicable" in text
    back = loads_questionnaire(text)
    assert back.items == q.items
    assert back.scales == q.scales
    assert back.dumps() == text


def test_an_item_differing_from_its_scale_only_in_kinds_is_written_out():
    text = YAML.replace(
        "  - {name: d, type: single, scale: agree, roles: [outcome, grouping]}",
        "  - {name: d, type: single, scale: agree, missing: {8: {uk: Важко відповісти},"
        " 9: {uk: Відмова, en: Refused, kind: refused}, 7: {kind: not_applicable}}}",
    )
    q = loads_questionnaire(text)
    assert q.item("d").missing_kinds[8] == "missing"
    back = loads_questionnaire(q.dumps())
    assert back.item("d").missing_kinds == q.item("d").missing_kinds
    assert back.item("a").missing_kinds[8] == "dont_know"


def test_bundled_instruments_round_trip_with_kinds():
    for name in list_instruments():
        q = load_questionnaire(instrument_path(name))
        back = loads_questionnaire(q.dumps())
        assert back.items == q.items and back.scales == q.scales, name
        assert back.hash() == q.hash()


def test_lines_listing_the_kinds(q):
    lines = missing_kind_lines(q, "en")
    assert lines[0] == (
        "scale agree: 8 = Важко відповісти → dont_know; 9 = Refused → refused; "
        "7 = (no label) → not_applicable"
    )
    assert "item b: 99 = No answer → missing; 97 = Not asked → not_applicable" in lines
    assert not any(line.startswith("item a") or "items a" in line for line in lines)


def test_check_suggests_kinds_the_labels_name():
    q = loads_questionnaire(
        "name: t\nitems:\n  - {name: a, type: single, codes: {1: 'Yes'},"
        " missing: {8: Difficult to answer, 9: {en: Refused, kind: refused}, 7: Code 7}}"
    )
    assert kind_suggestions(q) == [
        "item a: missing code 8 'Difficult to answer' looks like dont_know; add kind: dont_know"
    ]


# --------------------------------------------------------------------------- texts


def test_text_in_one_language_falls_back_to_the_other():
    en = Text(en="Village")
    assert (en.uk, en.en, en.get("uk"), en.get("en")) == ("Village",) * 4
    assert en.own("uk") is None and en.own("en") == "Village"
    assert Text().en == "" and Text().uk == "" and not Text()
    assert en.en.lower() == "village"
    assert en.to_data() == {"en": "Village"}
    assert Text(uk="Село", en="Village") == Text(uk="Село", en="Village") != en
    assert len({Text(uk="a"), Text(uk="a"), Text(en="a")}) == 2
    assert pickle.loads(pickle.dumps(en)) == en
    with pytest.raises(AttributeError):
        en.en = "x"  # type: ignore[misc]
    assert repr(en) == "Text(uk=None, en='Village')"


_label = st.one_of(
    st.builds(lambda t: Text(uk=t), st.sampled_from(["Так", "Важко відповісти", "Код"])),
    st.builds(lambda t: Text(en=t), st.sampled_from(["Yes", "Refused", "Code 9"])),
    st.builds(Text, st.sampled_from(["Ні", "Відмова"]), st.sampled_from(["No", "N/A"])),
    st.just(Text()),
)
_missing = st.dictionaries(st.integers(6, 999), _label, max_size=4)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    scale_missing=_missing,
    scale_kinds=st.lists(st.sampled_from(MISSING_KINDS), min_size=4, max_size=4),
    own=st.one_of(st.none(), _missing),
    own_kinds=st.lists(st.sampled_from(MISSING_KINDS), min_size=4, max_size=4),
)
def test_any_kinds_survive_the_yaml_round_trip(scale_missing, scale_kinds, own, own_kinds):
    from trustsurvey.questionnaire import Questionnaire

    codes = {1: Text(uk="Так", en="Yes"), 2: Text(en="No")}
    scale = Scale(
        "s", codes, scale_missing, missing_kinds=dict(zip(scale_missing, scale_kinds, strict=False))
    )
    if own is None:
        item = Item("a", "single", scale="s", codes=codes, missing=scale.missing,
                    missing_kinds=scale.missing_kinds)  # fmt: skip
    else:
        item = Item("a", "single", scale="s", codes=codes, missing=own,
                    missing_kinds=dict(zip(own, own_kinds, strict=False)))  # fmt: skip
    q = Questionnaire(name="t", items={"a": item}, scales={"s": scale})
    back = loads_questionnaire(q.dumps())
    assert back.scales["s"].missing_kinds == scale.missing_kinds
    assert back.item("a").missing == item.missing
    assert back.item("a").missing_kinds == item.missing_kinds
    assert back.dumps() == q.dumps()

"""Draft questionnaires from an SPSS dictionary (FileMetadata or any look-alike)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pyreadstat
import pytest

from trustsurvey.errors import QuestionnaireError
from trustsurvey.io import FileMetadata, read_survey
from trustsurvey.questionnaire import from_spss_metadata, loads_questionnaire


@pytest.fixture(scope="module")
def reference(fixtures_dir):
    return from_spss_metadata(read_survey(fixtures_dir / "trust" / "trust_two_waves.sav").meta)


def test_reference_file_dictionary(reference):
    q = reference
    assert list(q.items)[:3] == ["resp_id", "wave", "raion"]
    trust = q.item("trust_police")
    assert trust.type == "likert"
    assert trust.text.uk == "Наскільки Ви довіряєте поліції?"
    assert list(trust.codes) == [1, 2, 3, 4, 5]
    assert trust.codes[3].uk == "Важко сказати однозначно"
    assert {c: t.uk for c, t in trust.missing.items()} == {8: "Важко відповісти", 9: "Відмова"}
    assert q.item("sex").type == "single"  # two codes: not a rating scale
    assert q.item("agegrp").type == "single"
    assert q.item("safe_night").type == "likert"
    assert q.item("age").type == "numeric"
    assert q.item("resp_id").type == "identifier" and q.item("resp_id").roles == {"id"}
    # the five agree items share one reusable scale
    assert q.item("pj_fair").scale == q.item("abuse_power").scale == "pj_respect_scale"


def test_draft_passes_the_yaml_checks_and_round_trips(reference, tmp_path):
    back = loads_questionnaire(reference.dumps())
    assert back.items == reference.items


def test_written_file_with_ranges_strings_dates_and_measures(tmp_path):
    frame = pd.DataFrame(
        {
            "q1": [1.0, 2.0, 3.0],
            "note": ["a", "b", "c"],
            "when": [dt.date(2025, 1, 1)] * 3,
            "income": [100.0, 999.0, 250.0],
            "edu": [1.0, 2.0, 3.0],
        }
    )
    path = tmp_path / "draft.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={"q1": "Питання 1", "note": "Коментар", "income": "Дохід"},
        variable_value_labels={
            "q1": {1: "Так", 2: "Ні", 7: "Не знаю", 8: "Важко відповісти", 9: "Відмова"},
            "edu": {1: "Базова", 2: "Середня", 3: "Вища"},
        },
        missing_ranges={"q1": [{"lo": 7, "hi": 9}], "income": [999]},
        variable_measure={"q1": "nominal", "edu": "ordinal", "income": "scale"},
    )
    q = from_spss_metadata(read_survey(path).meta)
    assert q.item("q1").type == "single"
    assert list(q.item("q1").codes) == [1, 2]
    assert list(q.item("q1").missing) == [7, 8, 9]  # range 7–9 expanded
    assert q.item("note").type == "text"
    assert q.item("when").type == "date"
    assert q.item("income").type == "numeric" and list(q.item("income").missing) == [999]
    assert q.item("edu").type == "likert"  # ordinal measure


def test_multiple_response_sets_become_multiple_choice():
    meta = FileMetadata(
        file="mr.sav",
        column_names=["id", "prob_theft", "prob_drugs", "other_var", "q9"],
        variable_labels={"prob_theft": "Крадіжки", "prob_drugs": "Наркотики", "q9": "Q9"},
        value_labels={"q9": {1.0: "Так", 0.0: "Ні"}},
        mr_sets={
            "prob": {
                "type": "D",
                "is_dichotomy": True,
                "counted_value": 1,
                "label": "Проблеми в громаді",
                "variable_list": ["prob_theft", "prob_drugs", "other_var"],
            }
        },
    )
    q = from_spss_metadata(meta, language="uk")
    assert list(q.items) == ["id", "prob", "q9"]
    prob = q.item("prob")
    assert prob.type == "multiple"
    assert prob.text.uk == "Проблеми в громаді"
    assert list(prob.options) == ["theft", "drugs", "other_var"]
    assert q.columns_for("prob") == ["prob_theft", "prob_drugs", "other_var"]


def test_category_sets_are_kept_as_single_items_with_a_note():
    meta = SimpleNamespace(
        file="c.sav",
        column_names=["m1", "m2"],
        variable_labels={"m1": "Mention 1", "m2": "Mention 2"},
        value_labels={"m1": {1: "A", 2: "B"}, "m2": {1: "A", 2: "B"}},
        missing_values={},
        missing_ranges={},
        measure={},
        formats={},
        mr_sets={"m": {"type": "C", "is_dichotomy": False, "variable_list": ["m1", "m2"]}},
    )
    q = from_spss_metadata(meta, language="en")
    assert q.item("m1").text.en == "Mention 1"
    assert any("category set" in n for n in q.notes)


def test_not_a_metadata_object():
    with pytest.raises(QuestionnaireError, match="FileMetadata"):
        from_spss_metadata(object())


def _firm_file(path):
    """A fieldwork firm's file: its own names, Ukrainian labels only, 98/99 not declared."""
    frame = pd.DataFrame(
        {
            "q7_trust": [1.0, 4.0, 98.0, 99.0, 5.0],
            "q8_1": [2.0, 98.0, 3.0, 1.0, 4.0],
            "q15_know": [1.0, 2.0, 3.0, 1.0, 2.0],
            "q16_heard": [1.0, 2.0, 3.0, 1.0, 2.0],
            "gender": [1.0, 2.0, 2.0, 1.0, 1.0],
            "q20_income": [1.0, 2.0, 9.0, 8.0, 1.0],
        }
    )
    agree = {1: "Зовсім ні", 2: "Скоріше ні", 3: "Скоріше так", 4: "Так", 5: "Повністю так"}
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={"q7_trust": "Довіра до поліції", "q15_know": "Чи знаєте дільничного?"},
        variable_value_labels={
            "q7_trust": {**agree, 98: "Важко відповісти", 99: "Відмова від відповіді"},
            "q8_1": {**agree, 98: "ВАЖКО ВІДПОВІСТИ (НЕ ЗАЧИТУВАТИ)", 99: "Відмова"},
            "q15_know": {1: "Так", 2: "Ні", 3: "Не знаю"},
            "q16_heard": {1: "Так", 2: "Не знаю", 3: "Ні"},
            "gender": {1: "Чоловік", 2: "Жінка"},
            "q20_income": {1: "Низький", 2: "Високий", 8: "Не знаю", 9: "Немає відповіді"},
        },
        missing_ranges={"q20_income": [9]},  # only 9 declared user-missing
    )
    return path


def test_firm_file_98_99_read_as_missing_codes_with_their_kinds(tmp_path):
    q = from_spss_metadata(read_survey(_firm_file(tmp_path / "firm.sav")).meta)
    trust = q.item("q7_trust")
    assert trust.type == "likert" and list(trust.codes) == [1, 2, 3, 4, 5]
    assert trust.missing_kinds == {98: "dont_know", 99: "refused"}
    assert q.missing_codes_of_kind("q8_1", "dont_know") == [98]
    assert q.item("q8_1").missing[98].uk == "ВАЖКО ВІДПОВІСТИ (НЕ ЗАЧИТУВАТИ)"
    assert q.item("q8_1").missing[98].en == q.item("q8_1").missing[98].uk  # one language
    # a declared user-missing code and an undeclared one, both in missing-code places
    assert q.item("q20_income").missing_kinds == {9: "missing", 8: "dont_know"}
    # "3 = Не знаю" after 1-2 is a missing code; "2 = Не знаю" between 1 and 3 an answer
    assert q.item("q15_know").missing_kinds == {3: "dont_know"}
    heard = q.item("q16_heard")
    assert list(heard.codes) == [1, 2, 3] and heard.missing == {}
    assert any("q16_heard: code 2" in n and "kept as an answer" in n for n in q.notes)
    assert any("q7_trust: code 98" in n and "missing code (dont_know)" in n for n in q.notes)
    assert q.item("gender").missing == {}
    # the draft passes the YAML checks, and keeps the kinds there
    back = loads_questionnaire(q.dumps())
    assert back.items == q.items
    # the missing codes are applied when the data are read with the draft
    from trustsurvey.questionnaire import missing_codes_for_reading

    sd = read_survey(tmp_path / "firm.sav", missing_codes=missing_codes_for_reading(q))
    assert sd.analysis()["q7_trust"].isna().tolist() == [False, False, True, True, False]


def test_from_spss_prints_what_it_inferred(tmp_path):
    import subprocess
    import sys

    path = _firm_file(tmp_path / "firm.sav")
    out = tmp_path / "draft.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "questionnaire", "from-spss", str(path), "-o",
         str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("kinds" in line for line in lines)
    # q7_trust and q8_1 differ in their labels, so each has its own line
    assert (
        "  item q7_trust: 98 = Важко відповісти → dont_know; 99 = Відмова від відповіді → refused"
        in lines
    )
    assert any(line.startswith("  item q8_1: 98 = ") and "→ dont_know" in line for line in lines)
    assert "  item q20_income: 9 = Немає відповіді → missing; 8 = Не знаю → dont_know" in lines
    assert "kept as an answer" in result.stderr
    assert load_questionnaire_file(out).item("q7_trust").missing_kinds[99] == "refused"


def load_questionnaire_file(path):
    from trustsurvey.questionnaire import load_questionnaire

    return load_questionnaire(path)

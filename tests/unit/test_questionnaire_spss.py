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

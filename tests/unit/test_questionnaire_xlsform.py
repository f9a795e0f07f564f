"""XLSForm (Kobo/ODK) → questionnaire with pyxform, and questionnaire → XLSForm → back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl
import pytest

from trustsurvey.questionnaire import (
    from_xlsform,
    instrument_path,
    load_questionnaire,
    to_xlsform,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xlsform"
COMPARED = (
    "type", "text", "codes", "missing", "options", "exclusive", "relevant", "required", "min",
    "max", "reverse", "pii", "roles", "grid", "ordered", "scale", "group", "repeat", "other",
    "choice_filter", "missing_kinds",
)  # fmt: skip


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_kobo_form", FIXTURES / "build_kobo_form.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def kobo(tmp_path_factory):
    path = _builder().build(tmp_path_factory.mktemp("forms") / "kobo.xlsx")
    return from_xlsform(path)


def test_committed_fixture_matches_its_builder(tmp_path):
    fresh = from_xlsform(_builder().build(tmp_path / "fresh.xlsx"))
    committed = from_xlsform(FIXTURES / "kobo_police_form.xlsx")
    assert fresh.items == committed.items


def test_kobo_form_items_types_and_settings(kobo):
    assert kobo.name == "kobo_police" and kobo.version == "3"
    assert kobo.title.uk == "Опитування безпеки"
    assert "start" not in kobo.items and "thanks" not in kobo.items  # metadata and notes
    types = {name: item.type for name, item in kobo.items.items()}
    assert types["raion"] == "single"
    assert types["problems"] == "multiple"
    assert types["age"] == "numeric"
    assert types["resp_id"] == "text"


def test_both_label_column_styles_are_read(kobo):
    trust = kobo.item("trust_police")
    assert trust.text.uk == "Наскільки Ви довіряєте поліції?"  # label::Ukrainian (uk)
    assert trust.text.en == "How much do you trust the police?"  # label:English
    assert trust.codes[5].en == "Fully trust"
    assert trust.scale == "trust5"


def test_groups_are_flattened_with_their_path(kobo):
    assert kobo.item("trust_police").group == "trust_block"
    assert kobo.item("age").group is None


def test_relevance_is_translated(kobo):
    assert kobo.item("contact_satisfaction").relevant == "contact_police == 1"
    assert kobo.item("report_channel").relevant == "not (selected(problems, 'none'))"


def test_constraint_becomes_a_range_and_required_is_kept(kobo):
    age = kobo.item("age")
    assert (age.min, age.max, age.required) == (18, 99, True)


def test_repeat_items_are_listed_with_a_note(kobo):
    member = kobo.item("member_age")
    assert member.repeat == "household"
    assert "not per respondent" in member.note
    assert any("repeat 'household'" in note for note in kobo.notes)


def test_or_other_adds_the_other_code_and_specify_item(kobo):
    channel = kobo.item("report_channel")
    assert channel.other
    assert list(channel.codes) == [102, "officer", "other"]
    specify = kobo.item("report_channel_other")
    assert specify.type == "text"
    assert "report_channel == 'other'" in specify.relevant


def test_choice_filter_is_kept(kobo):
    assert kobo.item("hromada").choice_filter == "raion=${raion}"
    assert set(kobo.item("hromada").codes) == {11, 12, 21}


def _assert_same(a, b):
    assert list(a.items) == list(b.items)
    for name, item in a.items.items():
        other = b.items[name]
        for field in COMPARED:
            assert getattr(item, field) == getattr(other, field), (name, field)


def test_round_trip_core_instrument(tmp_path):
    core = load_questionnaire(instrument_path("police_trust_core"))
    back = from_xlsform(to_xlsform(core, tmp_path / "core.xlsx"))
    _assert_same(core, back)
    assert back.scales.keys() == core.scales.keys()


def test_round_trip_kobo_form(tmp_path, kobo):
    back = from_xlsform(to_xlsform(kobo, tmp_path / "again.xlsx"))
    _assert_same(kobo, back)


def test_written_form_is_a_plain_xlsform(tmp_path):
    core = load_questionnaire(instrument_path("police_trust_core"))
    path = to_xlsform(core, tmp_path / "core.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in book["survey"][1]]
    assert header[:4] == ["type", "name", "label::Ukrainian (uk)", "label::English (en)"]
    rows = {r[1]: r for r in book["survey"].iter_rows(min_row=2, values_only=True)}
    assert rows["contact_satisfaction"][0] == "select_one satisfied5"
    assert rows["contact_satisfaction"][4] == "${contact_police} = 1"
    assert rows["problems"][6] == "not(selected(., 'none') and count-selected(.) > 1)"
    assert [p.name for p in tmp_path.iterdir()] == ["core.xlsx"]  # no temp files left


def test_xml_names_with_dots_are_renamed_everywhere(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "survey"
    for row in [
        ["type", "name", "label", "relevant"],
        ["select_one yn", "Q1.2", "Contact", ""],
        ["integer", "Q1-3", "Satisfaction", "${Q1.2} = 1"],
    ]:
        ws.append(row)
    choices = book.create_sheet("choices")
    for row in [["list_name", "name", "label"], ["yn", "1", "Yes"], ["yn", "0", "No"]]:
        choices.append(row)
    book.save(tmp_path / "dots.xlsx")
    q = from_xlsform(tmp_path / "dots.xlsx")
    assert list(q.items) == ["Q1_2", "Q1_3"]
    assert q.item("Q1_3").relevant == "Q1_2 == 1"
    assert any("'Q1.2' is named 'Q1_2'" in note for note in q.notes)


def test_round_trip_focus_group_keeps_items_and_unused_valence_list(tmp_path):
    fg = load_questionnaire(instrument_path("focus_group_protocol"))
    back = from_xlsform(to_xlsform(fg, tmp_path / "fg.xlsx"))
    _assert_same(fg, back)
    assert back.scales["valence3"].codes == fg.scales["valence3"].codes
    assert back.codebook is None  # an XLSForm has no place for a theme codebook


def test_column_aliases_map_kobo_group_headers(kobo):
    aliases = kobo.column_aliases()
    assert aliases["trust_block/trust_police"] == "trust_police"
    assert aliases["trust_block_trust_police"] == "trust_police"
    assert aliases["problems/theft"] == "problems_theft"
    assert "age" not in aliases


def _form(path, choices_rows, extra_header=()):
    """A plain Kobo form with "difficult to answer" and refusals as ordinary choices."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "survey"
    for row in [
        ["type", "name", "label::Ukrainian (uk)"],
        ["select_one agree", "q1", "Поліція справедлива"],
        ["select_one agree", "q2", "Поліція ввічлива"],
        ["select_one yn", "q3", "Чи знаєте дільничного?"],
        ["select_one know3", "q4", "Чи чули Ви про програму?"],
        ["select_multiple probs", "probs", "Проблеми"],
    ]:
        ws.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Ukrainian (uk)", *extra_header])
    for row in choices_rows:
        choices.append(row)
    book.save(path)
    return path


PLAIN_CHOICES = [
    *[["agree", str(c), label] for c, label in enumerate(["Ні", "Скоріше ні", "Так"], 1)],
    ["agree", "98", "Важко відповісти"],
    ["agree", "99", "Відмова від відповіді"],
    ["yn", "yes", "Так"],
    ["yn", "no", "Ні"],
    ["yn", "dk", "Не знаю"],
    ["know3", "1", "Так"],
    ["know3", "2", "Не знаю"],
    ["know3", "3", "Ні"],
    ["probs", "theft", "Крадіжки"],
    ["probs", "dk", "Важко відповісти"],
]


def test_plain_form_missing_codes_and_kinds_inferred_from_labels(tmp_path):
    q = from_xlsform(_form(tmp_path / "plain.xlsx", PLAIN_CHOICES))
    assert list(q.item("q1").codes) == [1, 2, 3]
    assert q.item("q1").missing_kinds == {98: "dont_know", 99: "refused"}
    assert q.item("q1").scale == q.item("q2").scale == "agree"
    assert q.scales["agree"].missing_kinds == {98: "dont_know", 99: "refused"}
    assert q.item("q3").missing_kinds == {"dk": "dont_know"}  # a text code
    assert list(q.item("q4").codes) == [1, 2, 3]  # "2 = Не знаю" between 1 and 3: an answer
    assert list(q.item("probs").options) == ["theft", "dk"]  # an option is a 0/1 column
    assert any("'know3': code 2" in n and "kept as an answer" in n for n in q.notes)
    assert any("'agree': code 98" in n and "missing code (dont_know)" in n for n in q.notes)


def test_flagged_form_keeps_its_flags_and_infers_kinds_of_yes(tmp_path):
    rows = [[*r, ""] for r in PLAIN_CHOICES]
    rows[3][3] = "yes"  # 98 Важко відповісти: kind from the label
    rows[4][3] = "not_applicable"  # 99: the kind written in the form wins over the label
    q = from_xlsform(_form(tmp_path / "flagged.xlsx", rows, ["trustsurvey_missing"]))
    assert q.item("q1").missing_kinds == {98: "dont_know", 99: "not_applicable"}
    assert "dk" in q.item("q3").codes  # the form says which codes are missing; dk is not
    assert not any("kept as an answer" in n for n in q.notes)


def test_from_xlsform_prints_what_it_inferred(tmp_path):
    import subprocess
    import sys

    form = _form(tmp_path / "plain.xlsx", PLAIN_CHOICES)
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "questionnaire", "from-xlsform", str(form), "-o",
         str(tmp_path / "q.yaml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        "  scale agree: 98 = Важко відповісти → dont_know; 99 = Відмова від відповіді → refused"
        in lines
    )
    assert "  scale yn: dk = Не знаю → dont_know" in lines
    back = load_questionnaire(tmp_path / "q.yaml")
    assert back.item("q3").missing_kinds == {"dk": "dont_know"}

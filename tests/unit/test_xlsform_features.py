"""XLSForm features Kobo and ODK accept: every one imports, nothing is refused.

Each form is written here with openpyxl; pyxform (ODK's parser) reads it first, so a form
these tests build is one Kobo accepts.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from trustsurvey.questionnaire import from_xlsform, load_questionnaire

HEAD = ["type", "name", "label", "relevant", "required", "constraint", "calculation"]


def form(tmp_path: Path, survey, choices=(), header=HEAD, name="form.xlsx", extra=None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(list(header))
    for row in survey:
        sheet.append(list(row))
    listing = book.create_sheet("choices")
    listing.append(["list_name", "name", "label"])
    for row in choices:
        listing.append(list(row))
    for title, rows in (extra or {}).items():
        more = book.create_sheet(title)
        for row in rows:
            more.append(list(row))
    path = tmp_path / name
    book.save(path)
    return path


YN = [("yn", "1", "Yes"), ("yn", "0", "No")]
SEX = [("sex", "male", "Male"), ("sex", "female", "Female"), ("sex", "other", "Other")]


def round_trips(q, tmp_path: Path) -> None:
    """The result is a questionnaire `questionnaire check` accepts."""
    back = load_questionnaire(q.to_yaml(tmp_path / "q.yaml"))
    assert back.items == q.items


def test_selected_on_a_select_one_is_an_equality(tmp_path):
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("select_one sex", "sex", "Sex"),
                ("text", "sex_what", "Which?", "selected(${sex}, 'other')"),
            ],
            SEX,
        )
    )
    assert q.item("sex_what").relevant == "sex == 'other'"
    frame = pd.DataFrame({"sex": ["other", "male", None]})
    assert q.relevant_mask("sex_what", frame).tolist() == [True, False, False]
    round_trips(q, tmp_path)


def test_regex_in_relevant_is_kept_verbatim_and_listed_as_not_enforced(tmp_path):
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("select_one yn", "consent", "Consent"),
                ("text", "email", "Email", "${consent} = 1"),
                (
                    "text",
                    "email_ok",
                    "Thanks",
                    "${consent} = 1 and regex(${email}, '[a-z]+@[a-z.]+')",
                    "yes",
                ),
                ("integer", "n", "N", "pulldata('f', 'c', 'k', ${email}) > 1", "yes"),
            ],
            YN,
        )
    )
    ok = q.item("email_ok")
    assert ok.relevant == "consent == 1"  # the part that translates is kept
    assert not ok.required  # asked only where the regex holds: required cannot be judged
    assert q.item("n").relevant is None
    listed = " | ".join(q.not_enforced)
    assert "regex(${email}, '[a-z]+@[a-z.]+')" in listed
    assert "pulldata('f', 'c', 'k', ${email}) > 1" in listed
    round_trips(q, tmp_path)


def test_the_same_name_in_two_groups_is_named_by_its_group_path(tmp_path):
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("integer", "n_children", "Children"),
                ("begin_group", "head", "Head"),
                ("integer", "age", "Age"),
                ("end_group", "", ""),
                ("begin_group", "child", "Child", "${n_children} > 0"),
                ("integer", "age", "Age of child", "", "yes"),
                ("end_group", "", ""),
            ],
        )
    )
    assert list(q.items) == ["n_children", "head_age", "child_age"]
    child = q.item("child_age")
    assert (child.group, child.relevant, child.required) == ("child", "n_children > 0", True)
    assert q.column_aliases()["child/child_age"] == "child_age"
    round_trips(q, tmp_path)


def test_select_one_from_file_reads_the_csv_next_to_the_form(tmp_path):
    (tmp_path / "fruits.csv").write_text("name,label\napple,Apple\npear,Pear\n", encoding="utf-8")
    (tmp_path / "wells.geojson").write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "geometry": null, "properties": {"id": "w1", "title": "Well 1"}},'
        '{"type": "Feature", "id": "w2", "geometry": null, "properties": {"title": "Well 2"}}'
        "]}",
        encoding="utf-8",
    )
    (tmp_path / "places.xml").write_text(
        "<root><item><name>k</name><label>Kyiv</label></item>"
        "<item><name>l</name><label>Lviv</label></item></root>",
        encoding="utf-8",
    )
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("select_one_from_file fruits.csv", "fruit", "Fruit"),
                ("select_multiple_from_file places.xml", "places", "Places"),
                ("select_one_from_file absent.csv", "far", "Far"),
                ("select_one_from_file wells.geojson", "well", "Well"),
            ],
        )
    )
    assert q.item("fruit").type == "single"
    assert q.item("fruit").codes["pear"].en == "Pear"
    assert list(q.item("places").options) == ["k", "l"]
    assert q.item("far").type == "text"  # the file is not there: answers kept as text
    assert {c: t.en for c, t in q.item("well").codes.items()} == {"w1": "Well 1", "w2": "Well 2"}
    assert any("absent.csv" in note for note in q.notes)
    round_trips(q, tmp_path)


def test_a_form_of_calculations_only(tmp_path):
    q = from_xlsform(
        form(tmp_path, [("calculate", "a", "", "", "", "", "1 + 1"), ("hidden", "h", "")])
    )
    assert {n: i.type for n, i in q.items.items()} == {"a": "text", "h": "text"}
    assert "calculated by the form: 1 + 1" in q.item("a").note
    round_trips(q, tmp_path)


@pytest.mark.parametrize(
    ("kind", "item_type"),
    [
        ("time", "text"),
        ("datetime", "date"),
        ("date", "date"),
        ("geopoint", "text"),
        ("geotrace", "text"),
        ("geoshape", "text"),
        ("barcode", "text"),
        ("image", "text"),
        ("audio", "text"),
        ("video", "text"),
        ("file", "text"),
        ("acknowledge", "text"),
        ("decimal", "numeric"),
    ],
)
def test_every_question_type_is_an_item(tmp_path, kind, item_type):
    q = from_xlsform(form(tmp_path, [(kind, "only", "Only")]))
    assert q.item("only").type == item_type
    if item_type == "text" and kind != "text":
        assert f"XLSForm type {kind}" in q.item("only").note or kind == "acknowledge"
    round_trips(q, tmp_path)


def test_device_metadata_and_notes_are_form_fields(tmp_path):
    survey = [
        (kind, kind, "")
        for kind in ("start", "end", "today", "deviceid", "username", "audit", "phonenumber")
    ]
    q = from_xlsform(form(tmp_path, [*survey, ("note", "hello", "Hi"), ("integer", "n", "N")]))
    assert list(q.items) == ["n"]
    assert q.form_fields["start"] == "start" and q.form_fields["hello"] == "note"
    assert q.form_fields["meta/instanceID"] == "calculate"


def test_range_and_rank(tmp_path):
    header = [*HEAD, "parameters"]
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("range", "r", "R", "", "", "", "", "start=10 end=0 step=2"),
                ("rank fruits", "rk", "Rank"),
            ],
            [("fruits", "a", "A"), ("fruits", "b", "B")],
            header=header,
        )
    )
    assert (q.item("r").type, q.item("r").min, q.item("r").max) == ("numeric", 0, 10)
    assert q.item("rk").type == "text"


def test_questions_inside_begin_loop_over(tmp_path):
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("begin loop over rooms", "loop", "Room %(label)s"),
                ("integer", "windows", "Windows"),
                ("text", "colour", "Colour", "${windows} > 0"),
                ("end loop", "", ""),
            ],
            [("rooms", "kitchen", "Kitchen"), ("rooms", "bath", "Bath")],
        )
    )
    assert list(q.items) == [
        "loop_kitchen_windows",
        "loop_kitchen_colour",
        "loop_bath_windows",
        "loop_bath_colour",
    ]
    assert q.item("loop_bath_colour").relevant == "loop_bath_windows > 0"
    round_trips(q, tmp_path)


def test_cascading_selects_whose_relevant_names_a_calculate(tmp_path):
    header = [*HEAD, "choice_filter"]
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("select_one region", "region", "Region"),
                ("calculate", "is_east", "", "", "", "", "if(${region} = 'e', 1, 0)"),
                (
                    "select_one town",
                    "town",
                    "Town",
                    "${is_east} = 1",
                    "",
                    "",
                    "",
                    "region=${region}",
                ),
            ],
            [
                ("region", "e", "East"),
                ("region", "w", "West"),
                ("town", "t1", "Town 1"),
                ("town", "t2", "Town 2"),
            ],
            header=header,
            extra={"external": []},
        )
    )
    town = q.item("town")
    assert town.relevant == "is_east == 1"
    assert town.choice_filter == "region=${region}"
    assert any("choice_filter" in n and "town" in n for n in q.not_enforced)
    round_trips(q, tmp_path)


def test_or_other_on_select_one_and_select_multiple(tmp_path):
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("select_one yn or_other", "one", "One"),
                ("select_multiple yn or_other", "many", "Many"),
            ],
            YN,
        )
    )
    assert q.item("one").other and "other" in q.item("one").codes
    assert q.item("one_other").relevant == "one == 'other'"
    assert q.item("many_other").relevant == "selected(many, 'other')"
    round_trips(q, tmp_path)


@pytest.mark.parametrize(
    ("columns", "uk", "en"),
    [
        (["label::Ukrainian (uk)", "label::English (en)"], "Вік", "Age"),
        (["label::Українська (uk)", "label::English(en)"], "Вік", "Age"),
        (["label::uk", "label::en-GB"], "Вік", "Age"),
        (["label:Ukrainian", "label:English"], "Вік", "Age"),
        (["label::Français (fr)", "label::Deutsch (de)"], "Âge", "Âge"),
    ],
)
def test_every_label_language_column_form(tmp_path, columns, uk, en):
    header = ["type", "name", *columns]
    texts = {"Вік": "Вік", "Age": "Age", "Âge": "Âge"}
    row = ["integer", "age", texts[uk], texts[en] if en != uk else "Alter"]
    q = from_xlsform(form(tmp_path, [row], header=header))
    assert (q.item("age").text.uk, q.item("age").text.en) == (uk, en)


def test_constraints_and_dynamic_required_are_listed_not_refused(tmp_path):
    q = from_xlsform(
        form(
            tmp_path,
            [
                ("integer", "age", "Age", "", "", ". >= 18 and . <= 99"),
                ("text", "phone", "Phone", "", "${age} > 30", "regex(., '^[0-9]{10}$')"),
            ],
        )
    )
    assert (q.item("age").min, q.item("age").max) == (18, 99)
    listed = " | ".join(q.not_enforced)
    assert "regex(., '^[0-9]{10}$')" in listed and "${age} > 30" in listed
    assert not q.item("phone").required

"""`trustsurvey init`: the guess rules one by one, and drafts of whole studies end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

from trustsurvey.errors import StudyError
from trustsurvey.example import generate_example
from trustsurvey.study import guess, load_study
from trustsurvey.study.draft import draft_study
from trustsurvey.validation import validate_study

CLI = (sys.executable, "-m", "trustsurvey")

# --- the rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, name, label",
    [
        ("id", "resp_id", None),
        ("id", "id", None),
        ("id", "q0", "Номер анкети"),
        ("id", "v1", "Идентификатор респондента"),
        ("wave", "hvylia", None),
        ("wave", "round", None),
        ("wave", "v2", "Хвиля опитування"),
        ("wave", "v2", "Волна"),
        ("psu", "cluster", None),
        ("psu", "psu", None),
        ("psu", "v3", "Номер кластера"),
        ("psu", "v3", "Точка опроса"),
        ("psu", "v3", "Primary sampling unit"),
        ("strata", "strat_2", None),
        ("strata", "stratum", None),
        ("strata", "v4", "Страта"),
        ("weights", "weight", None),
        ("weights", "pw", None),
        ("weights", "vaga", None),
        ("weights", "вага", None),
        ("weights", "v5", "Вага респондента"),
        ("weights", "v5", "Вес"),
        ("weights", "v5", "Design weight"),
        ("community", "hromada", None),
        ("community", "otg", None),
        ("community", "v6", "Територіальна громада"),
        ("community", "v6", "Community"),
        ("interviewer", "int_id", None),
        ("interviewer", "v7", "Код інтерв'юера"),
        ("interviewer", "v7", "Интервьюер"),
        ("duration", "tryvalist", None),
        ("duration", "v8", "Тривалість інтерв'ю"),
        ("duration", "v8", "Длительность интервью"),
    ],
)
def test_role_rules_match(role, name, label) -> None:
    why = guess.match_role(name, label, role)
    assert why is not None
    assert (name in why) if why.startswith("name") else (label in why)


@pytest.mark.parametrize(
    "role, name, label",
    [
        ("weights", "q7_trust", "Наскільки Ви довіряєте поліції?"),
        ("wave", "duration_min", "Тривалість інтерв'ю (хвилин)"),  # minutes are not waves
        ("wave", "stratum", "Страта (хвиля × район)"),
        ("community", "trust_local", "Довіра до поліцейських у Вашій громаді"),
        ("interviewer", "interview_date", "Дата інтерв'ю"),
        ("psu", "age", "Вік"),
        ("id", "idea", "Your idea"),
    ],
)
def test_role_rules_do_not_match(role, name, label) -> None:
    assert guess.match_role(name, label, role) is None


@pytest.mark.parametrize(
    "codes, expected",
    [
        ({1: "Пілотна громада", 2: "Контрольна громада"}, 1),
        ({0: "Контрольная группа", 1: "Пилотная группа"}, 1),
        ({1: "Control", 2: "Treatment"}, 2),
        ({1: "Так", 2: "Ні"}, None),
        ({1: "Pilot", 2: "Pilot too"}, None),
    ],
)
def test_pilot_code_from_value_labels(codes, expected) -> None:
    found = guess.pilot_code(codes)
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize(
    "name, label, what",
    [
        ("gender", None, "sex or gender"),
        ("v1", "Стать", "sex or gender"),
        ("v1", "Пол", "sex or gender"),
        ("age_cat", None, "age group"),
        ("v2", "Вікова група", "age group"),
        ("typ_np", None, "settlement type"),
        ("v3", "Тип населеного пункту", "settlement type"),
    ],
)
def test_demographics(name, label, what) -> None:
    assert guess.demographic(name, label)[0] == what


def test_no_demographic_for_an_attitude() -> None:
    assert guess.demographic("q7_trust", "Наскільки Ви довіряєте поліції?") is None


def test_multiple_choice_runs_need_three_ticked_columns() -> None:
    ticked = {0: "Не обрано", 1: "Обрано"}
    yesno = {0: "Ні", 1: "Так"}
    labels = {"a_1": ticked, "a_2": ticked, "b_1": ticked, "b_2": ticked, "b_3": ticked}
    labels |= {"c_x": yesno, "c_y": yesno, "c_z": {1: "Так", 2: "Ні"}}
    runs = guess.multiple_choice_runs(list(labels), labels)
    assert runs == [("b", ["b_1", "b_2", "b_3"])]


# --- drafts of whole studies ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return generate_example(tmp_path_factory.mktemp("ex") / "example", seed=6)


@pytest.fixture(scope="module")
def drafted(example, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("draft") / "mine"
    draft = draft_study(
        target, [example / "data" / "wave1_baseline.sav", example / "data" / "wave2_followup.sav"]
    )
    draft.write()
    return target


def test_draft_of_the_example_guesses_its_design(drafted, example) -> None:
    data = yaml.safe_load((drafted / "study.yaml").read_text(encoding="utf-8"))
    assert [w["code"] for w in data["waves"]] == [1, 2]
    assert [w["period"] for w in data["waves"]] == ["baseline", "follow-up"]
    assert data["design"] == {"ids": "psu", "strata": "stratum", "weights": "pw", "nest": False}
    communities = data["arms"].pop("communities")
    assert (drafted / communities).resolve() == (example / "communities.csv").resolve()
    assert data["arms"] == {"treatment": "pilot", "pilot_code": 1, "community": "community"}
    assert data["margins"]["by"] == ["wave", "raion"]
    frame, _ = pyreadstat.read_sav(str(example / "data" / "wave1_baseline.sav"))
    dates = pd.to_datetime(frame["interview_date"])
    assert str(data["waves"][0]["fieldwork"]["start"]) == str(dates.min().date())
    assert str(data["waves"][0]["fieldwork"]["end"]) == str(dates.max().date())
    assert (drafted / data["waves"][0]["file"]).resolve() == (
        example / "data" / "wave1_baseline.sav"
    ).resolve()


def test_every_guess_is_commented(drafted) -> None:
    text = (drafted / "study.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    for key in ("ids:", "strata:", "weights:", "treatment:", "community:", "- code: 1"):
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(key))
        assert lines[at - 1].strip().startswith("# guessed from"), key
        assert "check:" in lines[at - 1]
    qtext = (drafted / "questionnaire.yaml").read_text(encoding="utf-8")
    assert "# role id: guessed from name 'resp_id'" in qtext
    assert "# multiple choice over problems_drinking" in qtext


def test_drafted_questionnaire_roles_and_kinds(drafted) -> None:
    q = load_study(drafted).questionnaire
    assert q.items_with_role("id") == ["resp_id"]
    assert q.items_with_role("wave") == ["wave"]
    assert set(q.items_with_role("design")) == {"psu", "stratum", "pw"}
    assert q.items_with_role("treatment") == ["pilot"]
    assert set(q.items_with_role("covariate")) == {"settlement", "sex", "agegrp"}
    assert "trust_police" in q.items_with_role("outcome")
    assert q.item("problems").type == "multiple" and q.item("problems").exclusive == "none"
    assert q.item("trust_police").missing_kinds == {8: "dont_know", 9: "refused"}
    assert q.item("phone").pii


def test_draft_of_the_example_validates(drafted) -> None:
    report = validate_study(load_study(drafted))
    # the drafted questionnaire has no grids or skip rules, so the straight-liner and the
    # answer where skip logic says 'not relevant' are not found; every other planted error is
    assert set(report.table["check"]) == {
        "duplicate",
        "invalid_code",
        "exclusive_option",
        "speeder",
        "interviewer_dk",
    }


def test_draft_of_a_firms_files(tmp_path) -> None:
    """The renamed shape: another firm's names, Ukrainian labels only, 98/99 codes."""
    folder = generate_example(tmp_path / "firm", seed=2, shape="renamed")
    draft = draft_study(folder, ["data/wave1.sav", "data/wave2.sav"])
    draft.write()
    assert draft.guess("design.ids").value == "cluster"
    assert draft.guess("design.weights").value == "vaga"
    assert draft.guess("arms.treatment").value == "grupa"
    assert draft.guess("arms.community").value == "hromada"
    assert draft.guess("margins.file").value == "margins.csv"
    study = load_study(folder)
    q = study.questionnaire
    assert q.item("q7_trust").missing_kinds == {98: "dont_know", 99: "refused"}
    assert set(q.items_with_role("covariate")) == {"typ_np", "gender", "age_cat"}
    assert q.item("q16").type == "multiple" and q.item("q16").exclusive == 13
    report = validate_study(study)
    assert "duplicate" in set(report.errors["check"])


def test_codes_labelled_like_missing_become_missing_codes(tmp_path) -> None:
    """A file that labels 98 'Важко відповісти' but declares no user-missing values."""
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "q1": [1.0, 2.0, 98.0, 4.0], "wave": [1.0] * 4})
    path = tmp_path / "w1.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={"id": "Номер анкети", "q1": "Довіра", "wave": "Хвиля"},
        variable_value_labels={
            "q1": {
                1.0: "Ні",
                2.0: "Скоріше ні",
                3.0: "Скоріше так",
                4.0: "Так",
                98.0: "Важко відповісти",
            },
            "wave": {1.0: "Перша"},
        },
    )
    draft = draft_study(tmp_path / "s", [path])
    item = draft.questionnaire.item("q1")
    assert 98 in item.missing and 98 not in item.codes
    assert item.missing_kinds == {98: "dont_know"}
    assert draft.guess("design.ids").value == "1"  # no cluster column


def test_one_file_with_several_waves_is_a_clear_error(tmp_path) -> None:
    frame = pd.DataFrame({"id": [1, 2], "wave": [1.0, 2.0], "q": [1.0, 2.0]})
    path = tmp_path / "both.sav"
    pyreadstat.write_sav(frame, str(path))
    with pytest.raises(StudyError, match="holds 2 waves"):
        draft_study(tmp_path / "s", [path])


def test_existing_draft_is_not_replaced_without_force(drafted, example) -> None:
    draft = draft_study(drafted, [example / "data" / "wave1_baseline.sav"])
    before = (drafted / "study.yaml").read_text(encoding="utf-8")
    with pytest.raises(StudyError, match="force"):
        draft.write()
    assert (drafted / "study.yaml").read_text(encoding="utf-8") == before


def test_missing_data_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(StudyError, match="does not exist"):
        draft_study(tmp_path / "s", [tmp_path / "nope.sav"])


def test_data_files_are_not_changed(example, tmp_path) -> None:
    path = example / "data" / "wave2_followup.sav"
    before = path.read_bytes()
    draft_study(tmp_path / "s", [path]).write()
    assert path.read_bytes() == before


def test_cli_init_prints_guesses_and_kinds(example, tmp_path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "trustsurvey",
            "init",
            str(tmp_path / "s"),
            "--data",
            str(example / "data" / "wave1_baseline.sav"),
            "--data",
            str(example / "data" / "wave2_followup.sav"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "design.weights: pw" in result.stdout
    assert "dont_know" in result.stdout
    assert (tmp_path / "s" / "study.yaml").exists()


@pytest.mark.parametrize("command", ["init", "example"])
def test_help_has_examples(command) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert f"trustsurvey {command} " in result.stdout
    assert "Examples" in result.stdout


def test_draft_with_an_xlsform_takes_its_questionnaire(example, tmp_path) -> None:
    """With --form the items, grids and skip rules come from the form: validation then
    finds every planted error of the example."""
    from trustsurvey.questionnaire import instrument_path, load_questionnaire, to_xlsform

    form = to_xlsform(load_questionnaire(instrument_path("police_trust_core")), tmp_path / "f.xlsx")
    waves = [example / "data" / "wave1_baseline.sav", example / "data" / "wave2_followup.sav"]
    draft = draft_study(tmp_path / "s", waves, form=form)
    draft.write()
    assert draft.questionnaire.item("contact_satisfaction").relevant == "contact_police == 1"
    report = validate_study(load_study(tmp_path / "s"))
    planted = pd.read_csv(example / "deliberate_errors.csv")
    assert set(report.table["check"]) == set(planted["check"])


def test_draft_finds_the_programme_records(drafted) -> None:
    data = yaml.safe_load((drafted / "study.yaml").read_text(encoding="utf-8"))
    assert set(data["programme"]) == {"activities", "hotline", "trainings", "population"}
    assert Path(data["programme"]["hotline"]).name == "hotline.csv"
    assert load_study(drafted).programme.hotline.name == "hotline.csv"


def test_run_right_after_init_on_the_example(drafted) -> None:
    """`trustsurvey run` on the draft, untouched, goes end to end to a bundle."""
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "run", str(drafted)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (drafted / "out" / "bundle" / "manifest.json").exists()
    did = pd.read_parquet(drafted / "out" / "bundle" / "did.parquet")
    assert "trust_police" in set(did["outcome"])


def test_run_right_after_init_on_a_firms_files(tmp_path) -> None:
    """The renamed shape (own names, Ukrainian labels only, 98/99): init, then run."""
    folder = generate_example(tmp_path / "firm", seed=5, shape="renamed")
    init = subprocess.run(
        [*CLI, "init", str(folder), "--data", "data/wave1.sav", "--data", "data/wave2.sav"],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )
    assert init.returncode == 0, init.stderr
    result = subprocess.run(
        [sys.executable, "-m", "trustsurvey", "run", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    did = pd.read_parquet(folder / "out" / "bundle" / "did.parquet")
    assert {"q7_trust", "q12_safety"} <= set(did["outcome"])
    likert = pd.read_parquet(folder / "out" / "bundle" / "likert.parquet")
    assert (likert.loc[likert["outcome"] == "q7_trust", "dont_know"].dropna() > 0).any()


def test_draft_over_spss_and_kobo_waves_adds_no_export_columns(tmp_path) -> None:
    """The staggered shape's third wave is a Kobo CSV: its meta columns (_id, _uuid, start …)
    and group-path headers (survey/trust_police) are not new questions."""
    folder = generate_example(tmp_path / "stag", seed=2, shape="staggered")
    files = [folder / "data" / f for f in ("wave1.sav", "wave2.sav", "wave3_kobo.csv")]
    draft = draft_study(tmp_path / "s", files)
    names = set(draft.questionnaire.items)
    assert not names & {"id", "uuid", "start", "end", "today", "submission_time", "index"}
    assert not [n for n in names if n.startswith(("survey_", "police_views_", "demography_"))]
    assert [draft.guess(f"waves[{i}].code").value for i in range(3)] == [1, 2, 3]
    assert draft.guess("waves[2].period").value == "follow-up"


def test_first_treated_waves_from_a_cohort_column(tmp_path) -> None:
    """Three waves and a column 'cohort' constant within each community: staggered arms."""
    files = []
    for wave in (1, 2, 3):
        frame = pd.DataFrame(
            {
                "id": [wave * 10 + i for i in range(6)],
                "hvylia": [float(wave)] * 6,
                "hromada": ["a", "a", "b", "b", "c", "c"],
                "cohort": [2.0, 2.0, 3.0, 3.0, 0.0, 0.0],
                "q1": [1.0, 2.0, 3.0, 4.0, 5.0, 1.0],
            }
        )
        path = tmp_path / f"w{wave}.sav"
        pyreadstat.write_sav(frame, str(path), column_labels={"hvylia": "Хвиля"})
        files.append(path)
    draft = draft_study(tmp_path / "s", files)
    draft.write()
    data = yaml.safe_load((tmp_path / "s" / "study.yaml").read_text(encoding="utf-8"))
    assert data["arms"] == {"community": "hromada", "first_treated": {"a": 2, "b": 3, "c": None}}
    assert "name 'cohort'" in draft.guess("arms.first_treated").source
    study = load_study(tmp_path / "s")
    assert study.arms.first_treated == {"a": 2, "b": 3, "c": None}


def test_a_cohort_column_that_varies_within_a_community_is_not_taken(tmp_path) -> None:
    files = []
    for wave in (1, 2):
        frame = pd.DataFrame(
            {
                "id": [wave * 10 + i for i in range(4)],
                "wave": [float(wave)] * 4,
                "hromada": ["a", "a", "b", "b"],
                "cohort": [2.0, 0.0, 2.0, 2.0],
            }
        )
        path = tmp_path / f"w{wave}.sav"
        pyreadstat.write_sav(frame, str(path))
        files.append(path)
    draft = draft_study(tmp_path / "s", files)
    with pytest.raises(KeyError):
        draft.guess("arms.first_treated")

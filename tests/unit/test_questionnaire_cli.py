"""``trustsurvey questionnaire ...`` run as a user runs it (subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trustsurvey.questionnaire import instrument_path, load_questionnaire

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", "questionnaire", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("check", "show", "from-xlsform", "from-spss"):
        assert command in result.stdout


def test_check_prints_a_summary():
    result = run("check", str(instrument_path("police_trust_core")))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert "PII items: phone" in result.stdout
    assert "pj_index" in result.stdout
    assert "contact_satisfaction" in result.stdout  # skip logic


def test_check_bad_file_exits_2_with_one_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nitems:\n  - {name: a, type: singel}\n", encoding="utf-8")
    result = run("check", str(bad))
    assert result.returncode == 2
    assert str(bad) in result.stderr
    assert "items[0].type" in result.stderr and "did you mean 'single'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("lang", "text"),
    [("uk", "Наскільки Ви довіряєте поліції?"), ("en", "How much do you trust the police?")],
)
def test_show_in_both_languages(lang, text):
    result = run("show", str(instrument_path("police_trust_core")), "--lang", lang)
    assert result.returncode == 0, result.stderr
    assert text in result.stdout
    assert "trust_police [likert, scale trust5]" in result.stdout


def test_show_focus_group_codebook():
    result = run("show", str(instrument_path("focus_group_protocol")), "--lang", "en")
    assert "Hotline (102) experience" in result.stdout
    assert "-1 = negative" in result.stdout


def test_from_xlsform_writes_a_loadable_yaml(tmp_path):
    out = tmp_path / "kobo.yaml"
    result = run(
        "from-xlsform", str(FIXTURES / "xlsform" / "kobo_police_form.xlsx"), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "repeat 'household'" in result.stderr  # the note about the repeat
    q = load_questionnaire(out)
    assert q.item("contact_satisfaction").relevant == "contact_police == 1"


def test_from_spss_writes_a_loadable_yaml_and_never_overwrites(tmp_path):
    out = tmp_path / "draft.yaml"
    sav = FIXTURES / "trust" / "trust_two_waves.sav"
    before = sav.read_bytes()
    result = run("from-spss", str(sav), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert load_questionnaire(out).item("trust_police").missing.keys() == {8, 9}
    again = run("from-spss", str(sav), "-o", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr
    forced = run("from-spss", str(sav), "-o", str(out), "--force")
    assert forced.returncode == 0
    same = run("from-spss", str(sav), "-o", str(sav), "--force")
    assert same.returncode == 2 and "overwrite the input" in same.stderr
    assert sav.read_bytes() == before


def test_check_lists_outcomes_and_covariates_and_hints_at_unmarked_kinds(tmp_path):
    result = run("check", str(instrument_path("police_trust_core")))
    assert "outcome items: trust_police, safe_night, aware_officer, problems" in result.stdout
    assert "covariate items: settlement, sex, agegrp" in result.stdout
    assert "hint:" not in result.stdout
    old = tmp_path / "old.yaml"
    old.write_text(
        "name: old\nitems:\n  - {name: a, type: single, codes: {1: 'Yes', 2: 'No'},"
        " missing: {8: {uk: Важко відповісти, en: Difficult to answer}, 9: Відмова}}\n",
        encoding="utf-8",
    )
    result = run("check", str(old))
    assert result.returncode == 0, result.stderr
    hints = [line for line in result.stdout.splitlines() if line.startswith("hint:")]
    assert hints == [
        "hint: item a: missing code 8 'Difficult to answer' looks like dont_know; "
        "add kind: dont_know",
        "hint: item a: missing code 9 'Відмова' looks like refused; add kind: refused",
    ]


def test_show_prints_the_kind_of_each_missing_code():
    result = run("show", str(instrument_path("police_trust_core")), "--lang", "en")
    assert "missing: 77 = refused [refused]; 88 = difficult to answer [dont_know]" in result.stdout

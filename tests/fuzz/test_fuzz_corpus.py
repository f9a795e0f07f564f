"""Every input that once crashed a reader ends in the documented one-line error.

The corpus (``tests/fuzz/corpus/``, see its README) holds SPSS files on which pyreadstat's C
reader segfaults or raises ``IndexError``/``UnicodeDecodeError``. Crashers must be caught by the
dictionary check before the C reader runs in-process; all must end in ``InputFileError``
naming the file, and the command line must exit 2 with one line and no traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trustsurvey.errors import InputFileError
from trustsurvey.io import inspect_file, read_survey
from trustsurvey.io.sav_check import check_sav_file

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".sav", ".zsav", ".por"))
CRASHERS = [p for p in FILES if p.name.startswith(("crash_", "rcrash_"))]
#: inputs the C reader reads, on which trustsurvey's own code once failed
READABLE = [p for p in FILES if p.name.startswith("readable_")]
BROKEN = [p for p in FILES if p not in READABLE]


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_corpus_is_there() -> None:
    kinds = {p.parent.name for p in FILES}
    assert kinds == {"sav", "zsav", "por"}
    assert len(CRASHERS) >= 100


@pytest.mark.parametrize("path", CRASHERS, ids=_id)
def test_crasher_fails_the_dictionary_check(path: Path) -> None:
    problem = check_sav_file(path)
    assert problem is not None
    assert 0 <= problem.offset <= path.stat().st_size


@pytest.mark.parametrize("path", READABLE, ids=_id)
def test_readable_corpus_input_is_read(path: Path) -> None:
    sd = read_survey(path)
    sd.analysis()
    assert len(inspect_file(path)) == sd.data.shape[1]


@pytest.mark.parametrize("path", BROKEN, ids=_id)
def test_corpus_input_ends_in_documented_error(path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        read_survey(path)
    text = str(info.value)
    assert text.startswith(str(path))
    assert "\n" not in text
    assert "What to do:" in text


OTHER = sorted((CORPUS / "parquet").glob("*.parquet"))


@pytest.mark.parametrize("path", OTHER, ids=_id)
def test_other_corpus_input_ends_in_documented_error(path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        read_survey(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


FORMS = sorted((CORPUS / "xlsform").glob("*.xlsx"))


@pytest.mark.parametrize("path", FORMS, ids=_id)
def test_damaged_xlsform_ends_in_documented_error(path: Path) -> None:
    from trustsurvey.errors import QuestionnaireError
    from trustsurvey.questionnaire import from_xlsform

    with pytest.raises(QuestionnaireError) as info:
        from_xlsform(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_inspect_of_a_crasher_is_the_same_error() -> None:
    path = next(p for p in CRASHERS if p.suffix == ".sav")
    with pytest.raises(InputFileError, match="dictionary is damaged"):
        inspect_file(path)


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.parametrize("command", ["inspect", "convert"])
def test_command_line_exits_2_with_one_line(command: str, tmp_path: Path) -> None:
    path = next(p for p in CRASHERS if p.suffix == ".sav")
    args = [path, tmp_path / "out.parquet"] if command == "convert" else [path]
    result = _cli(command, *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize("command", ["validate", "run"])
def test_study_commands_exit_2_on_a_crashing_wave(command: str, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bad_inputs"))
    import make_corpus

    folder = make_corpus.mini_study(tmp_path / "study")
    crasher = next(p for p in CRASHERS if p.suffix == ".sav")
    (folder / "data" / "wave1.sav").write_bytes(crasher.read_bytes())
    study = folder / "study.yaml"
    study.write_text(
        study.read_text(encoding="utf-8").replace("data/wave1.csv", "data/wave1.sav"),
        encoding="utf-8",
    )
    result = _cli(command, folder)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "wave1.sav" in result.stderr and "dictionary is damaged" in result.stderr

"""The ``weighting:`` section of study.yaml: wrong keys and values are StudyErrors on load."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from trustsurvey.errors import StudyError
from trustsurvey.study import load_study

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wbad") / "study"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    return folder


def _with_section(example: Path, tmp_path: Path, section: str) -> Path:
    folder = tmp_path / "s"
    shutil.copytree(example, folder)
    path = folder / "study.yaml"
    text = re.sub(r"^focus_groups:", section + "\nfocus_groups:", path.read_text(), flags=re.M)
    path.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("section", "message", "item", "hint"),
    [
        ("weighting:\n  methd: rake", "unknown key 'methd'", "weighting.methd", "'method'"),
        ("weighting:\n  method: magic", "'magic' is not allowed", "weighting.method", "rake"),
        ("weighting:\n  fixed_weights: 3", "must be true or false", "weighting.fixed_weights", ""),
        ("weighting:\n  trim: {upper: big}", "must be a number", "weighting.trim.upper", ""),
        ("weighting:\n  trim: {lower: 0}", "must be positive", "weighting.trim.lower", ""),
        (
            "weighting:\n  trim: {lower: 5, upper: 2}",
            "lower (5) is not below upper (2)",
            "weighting.trim",
            "swap",
        ),
    ],
)
def test_bad_weighting_section(example, tmp_path, section, message, item, hint) -> None:
    folder = _with_section(example, tmp_path, section)
    with pytest.raises(StudyError, match=re.escape(message)) as info:
        load_study(folder)
    err = info.value
    assert Path(err.file).name == "study.yaml"
    assert err.item == item
    assert "line " in err.message  # points at the offending line of study.yaml
    assert hint in (err.hint or "")


def test_good_weighting_section(example, tmp_path) -> None:
    section = "weighting:\n  method: poststratify\n  trim: {lower: 0.5}\n  fixed_weights: true"
    study = load_study(_with_section(example, tmp_path, section))
    assert study.weighting.method == "poststratify"
    assert (study.weighting.lower, study.weighting.upper) == (0.5, None)
    assert study.weighting.fixed_weights is True


def test_default_weighting_is_raking_without_trimming(example) -> None:
    spec = load_study(example).weighting
    assert (spec.method, spec.lower, spec.upper, spec.fixed_weights) == ("rake", None, None, False)

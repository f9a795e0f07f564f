"""The analysis plan: ``analysis:`` of study.yaml, defaults from the questionnaire's roles,
and errors naming the key path and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from trustsurvey.errors import StudyError
from trustsurvey.questionnaire import instrument_path
from trustsurvey.study import load_study
from trustsurvey.study.plan import MAX_LEVELS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    folder = tmp_path / "study"
    shutil.copytree(REPO / "data" / "example", folder, ignore=shutil.ignore_patterns("out"))
    return folder


def _set_analysis(folder: Path, analysis: dict | None) -> str:
    """Replace the analysis section of study.yaml; return the new text."""
    path = folder / "study.yaml"
    text = path.read_text(encoding="utf-8")
    text = text[: text.index("analysis:")] if "analysis:" in text else text
    if analysis is not None:
        text += yaml.safe_dump({"analysis": analysis}, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return text


def _line_of(text: str, needle: str) -> int:
    return 1 + text[: text.index(needle)].count("\n")


def test_the_example_declares_its_plan(example: Path) -> None:
    plan = load_study(example).plan
    assert plan.outcomes[0] == "trust_police"  # the reading order is the declared one
    assert plan.subgroups == plan.adjust == ("sex", "agegrp", "settlement")
    assert plan.multiple == ("problems",)
    assert plan.declared == {"outcomes", "subgroups", "adjust", "distributions", "multiple"}


def _with_roles(example: Path, roles: dict[str, list[str]]) -> None:
    """A copy of the example questionnaire with extra roles on some items, used by the study."""
    q = yaml.safe_load(instrument_path("police_trust_core").read_text(encoding="utf-8"))
    for item in q["items"]:
        if item["name"] in roles:
            item["roles"] = sorted({*item.get("roles", []), *roles[item["name"]]})
    (example / "q.yaml").write_text(yaml.safe_dump(q, allow_unicode=True), encoding="utf-8")
    path = example / "study.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "questionnaire: police_trust_core", "questionnaire: q.yaml"
    )
    path.write_text(text, encoding="utf-8")


def test_defaults_come_from_the_questionnaire_roles(example: Path) -> None:
    _set_analysis(example, None)
    _with_roles(
        example,
        {
            "safe_night": ["outcome"],
            "trust_police": ["outcome"],
            "aware_officer": ["outcome"],
            "problems": ["outcome"],
            "education": ["covariate"],
        },
    )
    study = load_study(example)
    plan, q = study.plan, study.questionnaire
    item_outcomes = [n for n in q.items if n in ("trust_police", "safe_night", "aware_officer")]
    assert plan.outcomes == (*item_outcomes, *q.indices)  # questionnaire order, then indices
    assert plan.distributions == tuple(n for n in item_outcomes if q.items[n].type == "likert")
    assert plan.multiple == ("problems",)
    assert plan.adjust == tuple(n for n in q.items if "covariate" in q.items[n].roles)
    assert "education" in plan.adjust
    grouping = [n for n in q.items if "grouping" in q.items[n].roles]
    assert "pilot" in grouping and "pilot" not in plan.subgroups  # the treatment is no subgroup
    structure = {"treatment", "community", "wave"}
    assert plan.subgroups == tuple(n for n in grouping if not q.items[n].roles & structure)
    assert {"sex", "agegrp", "settlement"} <= set(plan.subgroups)
    assert plan.declared == frozenset()


def test_a_declared_key_overrides_only_itself(example: Path) -> None:
    _set_analysis(example, {"outcomes": ["pj_index", "trust_police"]})
    plan = load_study(example).plan
    assert plan.outcomes == ("pj_index", "trust_police")
    assert plan.declared == {"outcomes"}
    assert plan.distributions == ("trust_police",)  # the Likert items among the outcomes


@pytest.mark.parametrize(
    ("analysis", "key", "message"),
    [
        ({"outcomes": ["trust_polise"]}, "analysis.outcomes[0]", "did you mean 'trust_police'"),
        ({"outcomes": ["trust_police", "phone"]}, "analysis.outcomes[1]", "text item"),
        ({"outcomes": ["resp_id"]}, "analysis.outcomes[0]", "cannot be an outcome"),
        ({"outcomes": ["problems"]}, "analysis.outcomes[0]", "analysis.multiple"),
        ({"subgroups": ["sex", "pj_index"]}, "analysis.subgroups[1]", "not an item"),
        ({"multiple": ["sex"]}, "analysis.multiple[0]", "not a multiple-choice"),
        ({"distributions": ["pj_index"]}, "analysis.distributions[0]", "not an item"),
        ({"outcomes": ["sex", "sex"]}, "analysis.outcomes[1]", "listed twice"),
        ({"outcome": ["sex"]}, "analysis.outcome", "did you mean 'outcomes'"),
    ],
)
def test_bad_plans_name_the_key_and_line(example: Path, analysis, key, message) -> None:  # type: ignore[no-untyped-def]
    text = _set_analysis(example, analysis)
    with pytest.raises(StudyError) as err:
        load_study(example)
    assert err.value.item == key
    assert message in str(err.value)
    # the line of the list element (or of the unknown key) in the YAML written above
    name = key.split(".")[1].split("[")[0]
    line = _line_of(text, f"\n  {name}:") + 1
    if "[" in key:
        line += 1 + int(key.split("[")[1].rstrip("]"))
    assert "study.yaml" in str(err.value) and f"(line {line})" in str(err.value)


def test_a_subgroup_with_too_many_levels(example: Path) -> None:
    """More than MAX_LEVELS answer codes: an error; MAX_LEVELS exactly would pass."""
    q = yaml.safe_load(instrument_path("police_trust_core").read_text(encoding="utf-8"))
    codes = {i: {"uk": f"Регіон {i}", "en": f"Region {i}"} for i in range(1, MAX_LEVELS + 2)}
    q["items"].append({"name": "region", "type": "single", "codes": codes,
                       "text": {"uk": "Регіон", "en": "Region"}})  # fmt: skip
    (example / "q.yaml").write_text(yaml.safe_dump(q, allow_unicode=True), encoding="utf-8")
    path = example / "study.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "questionnaire: police_trust_core", "questionnaire: q.yaml"
    )
    path.write_text(text, encoding="utf-8")
    _set_analysis(example, {"subgroups": ["region"]})
    with pytest.raises(StudyError, match=f"{MAX_LEVELS + 1} levels") as err:
        load_study(example)
    assert err.value.item == "analysis.subgroups[0]"

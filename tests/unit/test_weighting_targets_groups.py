"""Population targets from files and mappings; weighting each group to its own population."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design import SurveyDesign
from trustsurvey.errors import WeightingError
from trustsurvey.weighting import load_targets, weight_by_group, weighting_diagnostics

CSV = """wave,margin,sex,agegrp,settlement,target
1,sex*agegrp,1,1,,0.2
1,sex*agegrp,1,2,,0.26
1,sex*agegrp,2,1,,0.24
1,sex*agegrp,2,2,,0.30
1,settlement,,,1,0.31
1,settlement,,,2,0.69
2,sex*agegrp,1,1,,0.21
2,sex*agegrp,1,2,,0.25
2,sex*agegrp,2,1,,0.25
2,sex*agegrp,2,2,,0.29
2,settlement,,,1,0.35
2,settlement,,,2,0.65
"""


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 600
    return pd.DataFrame(
        {
            "wave": np.repeat([1.0, 2.0], n // 2),
            "psu": np.repeat(np.arange(60), 10),
            "stratum": np.repeat([1, 2], n // 2),
            "sex": rng.choice([1.0, 2.0], n, p=[0.4, 0.6]),
            "agegrp": rng.choice([1.0, 2.0], n, p=[0.3, 0.7]),
            "settlement": rng.choice([1.0, 2.0], n),
            "trust": rng.integers(1, 6, n).astype(float),
            "pw": rng.uniform(50, 150, n),
        }
    )


def test_csv_targets_by_wave(tmp_path, frame):
    path = tmp_path / "margins.csv"
    path.write_text(CSV)
    t = load_targets(path, by=["wave"])
    assert t.kind == "shares" and t.by == ("wave",)
    assert t.groups() == [{"wave": 1}, {"wave": 2}]
    m = t.margins_for({"wave": 2}, total=1000)
    assert m[("sex", "agegrp")][(2, 2)] == pytest.approx(290)
    assert m["settlement"] == {1: pytest.approx(350), 2: pytest.approx(650)}

    design = SurveyDesign(frame, ids="psu", strata="stratum", weights="pw")
    weighted = weight_by_group(design, "wave", t)
    for wave in (1.0, 2.0):
        rows = frame["wave"] == wave
        w = weighted.weights[rows]
        # each wave keeps its own design-weight total
        assert w.sum() == pytest.approx(frame.loc[rows, "pw"].sum(), rel=1e-10)
        share = w.groupby(frame.loc[rows, "settlement"]).sum() / w.sum()
        want = 0.31 if wave == 1 else 0.35
        assert share[1.0] == pytest.approx(want, rel=1e-9)
    diag = weighting_diagnostics(weighted, by="wave")
    assert len(diag.weights) == 2
    assert set(diag.margins["wave"]) == {1, 2}


def test_group_population_sizes(frame):
    design = SurveyDesign(frame, ids="psu", weights="pw")
    margins = {"sex": {1: 0.5, 2: 0.5}}
    out = weight_by_group(design, "wave", {1: margins, 2: margins}, totals={1: 1000, 2: 3000})
    assert out.weights[frame["wave"] == 2].sum() == pytest.approx(3000)


@pytest.mark.parametrize("method", ["poststratify", "calibrate"])
def test_group_methods(frame, method):
    design = SurveyDesign(frame, ids="psu", weights="pw")
    cells = {(s, a): 250.0 for s in (1, 2) for a in (1, 2)}
    margins = {("sex", "agegrp"): cells}
    out = weight_by_group(design, "wave", {1: margins, 2: margins}, method=method)
    got = out.weights.groupby([frame["wave"], frame["sex"], frame["agegrp"]]).sum()
    np.testing.assert_allclose(got.to_numpy(), 250.0, rtol=1e-9)
    assert np.isfinite(out.mean("trust", by="wave")["se"]).all()


def test_group_without_targets(frame):
    design = SurveyDesign(frame, ids="psu", weights="pw")
    with pytest.raises(WeightingError, match="no targets for wave = 2"):
        weight_by_group(design, "wave", {1: {"sex": {1: 10, 2: 10}}})


def test_study_yaml_margins_section(tmp_path):
    (tmp_path / "margins.csv").write_text(CSV)
    (tmp_path / "study.yaml").write_text(
        "name: x\nmargins:\n  file: margins.csv\n  kind: shares\n  by: [wave]\n"
    )
    t = load_targets(tmp_path / "study.yaml")
    assert t.kind == "shares" and t.by == ("wave",)
    assert t.source.endswith("study.yaml")
    inline = tmp_path / "inline.yaml"
    inline.write_text(
        "margins:\n  kind: counts\n  rows:\n"
        "    - {margin: sex, sex: 1, target: 40}\n    - {margin: sex, sex: 2, target: 60}\n"
    )
    assert load_targets(inline).margins_for()["sex"] == {1: 40.0, 2: 60.0}


def test_mapping_targets_infer_kind():
    counts = load_targets(
        {
            "sex": {1: 480, 2: 520},
            ("sex", "agegrp"): {(1, 1): 200, (1, 2): 280, (2, 1): 250, (2, 2): 270},
        }
    )
    assert counts.kind == "counts"
    assert counts.variables() == ["sex", "agegrp"]


def test_codes_checked_against_questionnaire():
    from trustsurvey.questionnaire import load_questionnaire

    root = Path(__file__).resolve().parents[2]
    q = load_questionnaire(root / "questionnaires" / "police_trust_core.yaml")
    t = load_targets(
        {"sex": {1: 0.46, 2: 0.54}, "agegrp": {1: 0.27, 2: 0.41, 3: 0.32}}, questionnaire=q
    )
    assert t.kind == "shares"
    with pytest.raises(WeightingError, match=r"target codes 4 are not codes of this item"):
        load_targets({"agegrp": {1: 50, 2: 30, 4: 20}}, questionnaire=q)
    with pytest.raises(WeightingError, match="not in the questionnaire"):
        load_targets({"shoe_size": {1: 50, 2: 50}}, questionnaire=q)


def test_targets_checked_against_the_sample(tmp_path, frame):
    path = tmp_path / "margins.csv"
    path.write_text(CSV)
    load_targets(path, by=["wave"], data=frame)
    odd = frame.copy()
    odd.loc[odd.index[-1], "settlement"] = 3.0
    with pytest.raises(WeightingError, match=r"group \{'wave': 2\}: sample categories without"):
        load_targets(path, by=["wave"], data=odd)
    three = frame.assign(wave=frame["wave"].where(frame.index < 500, 3.0))
    with pytest.raises(WeightingError, match=r"no targets for group \{'wave': 3\}"):
        load_targets(path, by=["wave"], data=three)

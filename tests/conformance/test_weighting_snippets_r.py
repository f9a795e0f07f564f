"""The R design snippet reproduces trustsurvey's own weights and calibration-adjusted SEs.

``tests/fixtures/r_snippets/snippets.R`` ran the snippet ``trustsurvey weight`` wrote for the
example study (committed as ``design_r.R``) in R's survey package; here the same study is
weighted again and trustsurvey's weights, means and SEs are compared with R's to 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.example import generate_example
from trustsurvey.run.weighting import weight_study
from trustsurvey.study import load_study

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "r_snippets"


@pytest.fixture(scope="module")
def weighted(tmp_path_factory: pytest.TempPathFactory):
    study = load_study(generate_example(tmp_path_factory.mktemp("snip") / "ex"))
    return weight_study(study, out_dir=study.out_dir / "weighting")


def test_the_checked_snippet_is_the_one_written(weighted) -> None:
    written = weighted.files["design_r"].read_text(encoding="utf-8")
    assert written == (FIXTURES / "design_r.R").read_text(encoding="utf-8")
    assert "rake(des0" in written and "fixed" not in written


def test_r_reproduces_weights_means_and_calibrated_ses(weighted) -> None:
    ref = json.loads((FIXTURES / "snippets_reference.json").read_text(encoding="utf-8"))
    assert ref["max_abs_weight_difference"] < 1e-6
    design = weighted.design
    overall = design.mean("trust_police").iloc[0]
    np.testing.assert_allclose(overall["estimate"], ref["overall"]["estimate"], rtol=1e-6)
    np.testing.assert_allclose(overall["se"], ref["overall"]["se"], rtol=1e-6)
    by = ref["by_pilot_wave"]
    res = design.mean("trust_police", by=["pilot", "wave"])
    keys = pd.MultiIndex.from_tuples(
        list(zip(by["pilot"], by["wave"], strict=True)), names=res.index.names
    )
    got = res.reindex(keys)
    np.testing.assert_allclose(got["estimate"], by["estimate"], rtol=1e-6)
    np.testing.assert_allclose(got["se"], by["se"], rtol=1e-6)


def test_fixed_weights_declare_the_final_weights() -> None:
    from trustsurvey.weighting import load_targets
    from trustsurvey.weighting.snippets import design_snippets

    t = load_targets({"sex": {1: 4600, 2: 5400}})
    kw = {"ids": "psu", "strata": "st", "weights": "pw"}
    fixed = design_snippets(kw, "w", "x.sav", targets=t, fixed_weights=True)
    assert "weights = ~w" in fixed["r"] and "rake(" not in fixed["r"]
    raked = design_snippets(kw, "w", "x.sav", targets=t)
    assert "weights = ~pw" in raked["r"] and "rake(des0, list(~sex)" in raked["r"]
    assert "rake(i.sex, totals(1.sex=4600 2.sex=5400))" in raked["stata"]
    assert "svyset psu [pweight = pw], strata(st)" in raked["stata"]

"""Small-area EBLUPs against ``samplics`` 0.6.1 on R ``sae``'s example data, to 1e-6.

Expected numbers: tests/fixtures/small_area/samplics_reference.json, written by
tests/fixtures/small_area/peer_samplics.py (samplics in its own virtualenv) on ``milk``
(Fay-Herriot, ``yi ~ as.factor(MajorArea)`` as in ``sae::eblupFH``'s example) and
``cornsoybean`` (BHF, ``CornHec ~ CornPix + SoyBeansPix`` with the county population means
and sizes, without segment 33, as in ``sae::eblupBHF``'s example). See small_area/DATA_ORIGIN.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.analysis._fay_herriot import fay_herriot_predict, fit_fay_herriot
from trustsurvey.analysis.small_area import small_area
from trustsurvey.design import SurveyDesign, result_info

HERE = Path(__file__).parent.parent / "fixtures" / "small_area"
REF = json.loads((HERE / "samplics_reference.json").read_text())
RTOL = 1e-6


def _milk() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    milk = pd.read_csv(HERE / "expenditure_on_milk.csv")
    X = pd.get_dummies(milk["major_area"], drop_first=True).to_numpy(float)
    X = np.column_stack([np.ones(len(milk)), X])
    return milk["direct_est"].to_numpy(), milk["std_error"].to_numpy() ** 2, X


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_fay_herriot_milk(method: str) -> None:
    ref = REF[f"milk_{method.lower()}"]
    y, D, X = _milk()
    fit = fit_fay_herriot(y, D, X, method=method)
    assert fit.converged
    assert pytest.approx(ref["A"], rel=RTOL) == fit.A
    np.testing.assert_allclose(fit.beta, ref["beta"], rtol=RTOL)
    out = fay_herriot_predict(fit, y, D, X)
    np.testing.assert_allclose(out["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(out["mse"], ref["mse"], rtol=RTOL)


def test_fay_herriot_ml_mse_differs_from_reml_form() -> None:
    """The ML MSE carries the Datta-Lahiri term: it is not g1 + g2 + 2 g3 at the ML fit."""
    y, D, X = _milk()
    fit = fit_fay_herriot(y, D, X, method="ML")
    out = fay_herriot_predict(fit, y, D, X)
    plain = out["g1"] + out["g2"] + 2 * out["g3"]
    assert np.all(out["mse"] > plain)


def _corn_design() -> tuple[SurveyDesign, pd.DataFrame]:
    corn = pd.read_csv(HERE / "countycrop.csv").drop(index=32)  # segment 33, sae's outlier
    means = pd.read_csv(HERE / "countycrop_means.csv").rename(
        columns={"ave_corn_pixel": "corn_pixel", "ave_soybeans_pixel": "soybeans_pixel"}
    )
    design = SurveyDesign(corn.assign(w=1.0), weights="w")
    return design, means[["county_id", "corn_pixel", "soybeans_pixel", "pop_segments"]]


@pytest.mark.parametrize("fit", ["REML", "ML"])
def test_bhf_cornsoybean(fit: str) -> None:
    """EBLUP, MSE and variance components against samplics on sae's ``cornsoybean``."""
    ref = REF[f"corn_{fit.lower()}"]
    design, means = _corn_design()
    res = small_area(
        design,
        "corn_area",
        area="county_id",
        covariates=means,
        method="bhf",
        fit=fit,
        population="pop_segments",
    )
    info = result_info(res)["model"]
    order = [str(a) for a in ref["area"]]
    res = res.set_index("county_id").loc[order]
    np.testing.assert_allclose(res["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(res["mse"], ref["mse"], rtol=RTOL)
    assert (res["source"] == "model").all()
    assert info["s2u"] == pytest.approx(ref["s2u"], rel=RTOL)
    assert info["s2e"] == pytest.approx(ref["s2e"], rel=RTOL)
    np.testing.assert_allclose(list(info["beta"].values()), ref["beta"], rtol=RTOL)


def test_direct_estimates_and_fay_herriot_on_a_weighted_clustered_survey() -> None:
    """The whole chain: direct domain means and SEs of a clustered sample with unequal weights
    (samplics' Taylor linearisation) and the REML EBLUP and MSE on them."""
    ref = REF["survey_reml"]
    survey = pd.read_csv(HERE / "survey.csv")
    areas = pd.read_csv(HERE / "survey_areas.csv")
    design = SurveyDesign(survey, ids="psu", weights="w")
    res = small_area(design, "y", area="area", covariates=areas).set_index("area")
    res = res.loc[ref["area"]]
    np.testing.assert_allclose(res["direct"], ref["direct"], rtol=RTOL)
    np.testing.assert_allclose(res["direct_se"], ref["direct_se"], rtol=RTOL)
    np.testing.assert_allclose(res["estimate"], ref["estimate"], rtol=RTOL)
    np.testing.assert_allclose(res["mse"], ref["mse"], rtol=RTOL)

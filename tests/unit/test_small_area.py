"""small_area: Fay-Herriot and BHF EBLUPs on simulated clustered designs with unequal weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from trustsurvey.analysis._fay_herriot import fay_herriot_predict, fit_fay_herriot
from trustsurvey.analysis.small_area import small_area
from trustsurvey.design import SurveyDesign, result_info
from trustsurvey.errors import AnalysisError


def _survey(seed: int = 11, m: int = 20) -> tuple[SurveyDesign, pd.DataFrame]:
    """Two-stage sample: m communities, 4 clusters each, strongly unequal weights and a
    large intra-cluster correlation (design effect well above 2)."""
    rng = np.random.default_rng(seed)
    areas = [f"h{i:02d}" for i in range(m)]
    x = rng.normal(size=m)
    u = rng.normal(scale=0.3, size=m)
    rows = []
    for i, a in enumerate(areas):
        n_cl = int(rng.integers(3, 6))
        for c in range(n_cl):
            v = rng.normal(scale=0.6)
            k = int(rng.integers(4, 12))
            w = rng.lognormal(sigma=0.9, size=k) * 50
            y = 2.0 + 0.8 * x[i] + u[i] + v + rng.normal(size=k)
            z = x[i] + rng.normal(scale=0.5, size=k)
            rows.append(
                pd.DataFrame(
                    {
                        "hromada": a,
                        "psu": f"{a}-{c}",
                        "w": w,
                        "y": y,
                        "z": z,
                        "arm": "pilot" if i % 2 else "control",
                    }
                )
            )
    data = pd.concat(rows, ignore_index=True)
    cov = pd.DataFrame({"hromada": areas, "x": x})
    return SurveyDesign(data, ids="psu", weights="w"), cov


def test_direct_columns_are_the_designs_domain_means() -> None:
    design, cov = _survey()
    res = small_area(design, "y", area="hromada", covariates=cov).set_index("hromada")
    direct = design.mean("y", by="hromada")
    np.testing.assert_allclose(res.loc[direct.index, "direct"], direct["estimate"], rtol=1e-12)
    np.testing.assert_allclose(res.loc[direct.index, "direct_se"], direct["se"], rtol=1e-12)
    assert (res.loc[direct.index, "n"] == direct["n"]).all()
    assert direct["deff"].max() > 2  # the design effect the test is about


def test_eblup_is_the_fay_herriot_model_on_the_direct_estimates() -> None:
    design, cov = _survey()
    raw = small_area(design, "y", area="hromada", covariates=cov)
    res = raw.set_index("hromada")
    direct = design.mean("y", by="hromada")
    X = np.column_stack([np.ones(len(cov)), cov.set_index("hromada").loc[direct.index, "x"]])
    fit = fit_fay_herriot(direct["estimate"].to_numpy(), direct["se"].to_numpy() ** 2, X)
    out = fay_herriot_predict(fit, direct["estimate"].to_numpy(), direct["se"].to_numpy() ** 2, X)
    np.testing.assert_allclose(res.loc[direct.index, "estimate"], out["estimate"], rtol=1e-12)
    np.testing.assert_allclose(res.loc[direct.index, "mse"], out["mse"], rtol=1e-12)
    g = res["gamma"]
    assert ((g > 0) & (g < 1)).all()
    between = (res["estimate"] - res["direct"]) * (res["estimate"] - res["synthetic"])
    assert (between <= 1e-12).all()  # a convex combination of direct and synthetic
    assert (res["source"] == "model").all()
    assert result_info(raw)["model"]["A"] == pytest.approx(fit.A)


def _reml_loglik(A: float, y: np.ndarray, D: np.ndarray, X: np.ndarray) -> float:
    V = np.diag(A + D)
    Vi = np.linalg.inv(V)
    XtViX = X.T @ Vi @ X
    P = Vi - Vi @ X @ np.linalg.solve(XtViX, X.T @ Vi)
    return -0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(XtViX)[1] + y @ P @ y)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_reml_variance_maximises_the_restricted_likelihood(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = 30
    X = np.column_stack([np.ones(m), rng.normal(size=m)])
    D = rng.uniform(0.05, 0.6, size=m)
    y = X @ [1.0, 0.5] + rng.normal(scale=0.4, size=m) + rng.normal(size=m) * np.sqrt(D)
    fit = fit_fay_herriot(y, D, X)
    best = optimize.minimize_scalar(
        lambda a: -_reml_loglik(a, y, D, X),
        bounds=(0, 5),
        method="bounded",
        options={"xatol": 1e-12},
    )
    if best.x < 1e-8:
        assert fit.A == 0.0
    else:
        assert pytest.approx(best.x, rel=1e-6) == fit.A


def test_zero_variance_of_the_area_effect_gives_the_synthetic_estimate() -> None:
    rng = np.random.default_rng(0)
    m = 25
    X = np.column_stack([np.ones(m), rng.normal(size=m)])
    D = np.full(m, 1.0)
    y = X @ [1.0, 0.5] + rng.normal(scale=0.2, size=m)  # far less spread than D
    fit = fit_fay_herriot(y, D, X)
    out = fay_herriot_predict(fit, y, D, X)
    assert fit.A == 0.0
    np.testing.assert_allclose(out["estimate"], out["synthetic"])


def test_areas_without_respondents_or_covariates() -> None:
    design, cov = _survey()
    extra = pd.DataFrame({"hromada": ["new1", "new2"], "x": [0.5, -1.0]})
    cov2 = pd.concat([cov[cov["hromada"] != "h03"], extra], ignore_index=True)
    raw = small_area(design, "y", area="hromada", covariates=cov2)
    res = raw.set_index("hromada")
    info = result_info(raw)["model"]
    new = res.loc[["new1", "new2"]]
    assert (new["n"] == 0).all() and new["direct"].isna().all()
    assert (new["gamma"] == 0).all() and (new["source"] == "model").all()
    beta = np.array(list(info["beta"].values()))
    np.testing.assert_allclose(new["estimate"], beta[0] + beta[1] * np.array([0.5, -1.0]))
    assert (new["mse"] > info["A"]).all()
    row = res.loc["h03"]  # no covariates: the direct estimate, labelled so
    assert row["source"] == "direct"
    assert row["estimate"] == row["direct"] and row["mse"] == pytest.approx(row["direct_se"] ** 2)


def test_an_area_whose_answers_do_not_vary_gets_the_synthetic_estimate() -> None:
    design, cov = _survey()
    data = design.data.copy()
    data.loc[data["hromada"] == "h05", "y"] = 1.0
    res = small_area(
        SurveyDesign(data, ids="psu", weights="w"), "y", area="hromada", covariates=cov
    ).set_index("hromada")
    row = res.loc["h05"]
    assert row["direct_se"] == 0 and row["gamma"] == 0
    assert row["estimate"] == pytest.approx(row["synthetic"])


@pytest.mark.parametrize("by", ["arm", True])
def test_benchmarking_adds_up_to_the_direct_estimate_of_the_domain(by: str | bool) -> None:
    design, cov = _survey()
    res = small_area(design, "y", area="hromada", covariates=cov, benchmark=by)
    plain = small_area(design, "y", area="hromada", covariates=cov)
    data = design.data
    share = data.groupby("hromada")["w"].sum()
    arm = data.groupby("hromada")["arm"].first() if by == "arm" else share * 0
    target = design.mean("y", by="arm")["estimate"] if by == "arm" else None
    res = res.set_index("hromada")
    for dom, rows in res.groupby(arm.reindex(res.index)):
        phi = share.reindex(rows.index) / share.reindex(rows.index).sum()
        want = target[dom] if target is not None else design.mean("y")["estimate"].iloc[0]
        assert float(phi @ rows["estimate"]) == pytest.approx(want, rel=1e-10)
    shift = res["benchmark_shift"]
    assert (res["mse"] - plain.set_index("hromada")["mse"]).to_numpy() == pytest.approx(
        (shift**2).to_numpy()
    )


def test_benchmark_domain_that_splits_an_area_is_an_error() -> None:
    design, cov = _survey()
    data = design.data.copy()
    data.loc[data.index[:3], "arm"] = "other"
    with pytest.raises(AnalysisError, match="more than one benchmark domain"):
        small_area(
            SurveyDesign(data, ids="psu", weights="w"),
            "y",
            area="hromada",
            covariates=cov,
            benchmark="arm",
        )


def test_bhf_uses_unit_covariates_and_area_means() -> None:
    design, _cov = _survey()
    means = design.data.groupby("hromada")["z"].mean().rename("z").reset_index()
    res = small_area(design, "y", area="hromada", covariates=means, method="bhf")
    assert (res["method"] == "bhf").all()
    assert ((res["gamma"] > 0) & (res["gamma"] < 1)).all()
    assert (res["ci_low"] < res["estimate"]).all() and (res["estimate"] < res["ci_high"]).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: pd.concat([c, c.iloc[:1]]), "more than one row"),
        (lambda c: c.assign(x=c["x"].astype(str)), "not numeric"),
        (lambda c: c.assign(x=c["x"].where(c.index != 2)), "missing or not finite"),
        (lambda c: c.drop(columns="hromada"), "not in the covariates"),
    ],
)
def test_bad_covariates_name_the_column(change, message: str) -> None:
    design, cov = _survey()
    with pytest.raises(AnalysisError, match=message):
        small_area(design, "y", area="hromada", covariates=change(cov))


def test_unknown_method() -> None:
    design, cov = _survey()
    with pytest.raises(AnalysisError, match="unknown small-area method"):
        small_area(design, "y", area="hromada", covariates=cov, method="spatial")


def test_a_replicate_design_gives_its_own_direct_variances() -> None:
    design, cov = _survey()
    rep = design.replicate("JK1")
    res = small_area(rep, "y", area="hromada", covariates=cov).set_index("hromada")
    direct = rep.mean("y", by="hromada")
    np.testing.assert_allclose(res.loc[direct.index, "direct_se"], direct["se"], rtol=1e-12)
    lin = small_area(design, "y", area="hromada", covariates=cov).set_index("hromada")
    assert not np.allclose(res["direct_se"], lin["direct_se"])  # the engines differ


def test_a_fit_that_does_not_converge_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    from functools import partial

    from trustsurvey.analysis import _fay_herriot

    design, cov = _survey()
    monkeypatch.setattr(
        _fay_herriot, "fit_fay_herriot", partial(_fay_herriot.fit_fay_herriot, maxiter=1)
    )
    with pytest.warns(RuntimeWarning, match="did not converge"):
        small_area(design, "y", area="hromada", covariates=cov)


@pytest.mark.parametrize(
    "name",
    [
        "trustsurvey.analysis.small_area",
        "trustsurvey.analysis._fay_herriot",
        "trustsurvey.analysis._bhf",
        "trustsurvey.example.areas",
        "trustsurvey.study.tables",
    ],
)
def test_docstring_examples_run(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

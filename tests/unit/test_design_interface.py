"""Both designs satisfy one interface (trustsurvey.design.Design): every verb on both."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design import Design, ReplicateDesign, SurveyDesign, result_info, vcov
from trustsurvey.errors import DesignError


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(20261204)
    n = 240
    psu = np.repeat(np.arange(24), 10)
    return pd.DataFrame(
        {
            "stratum": psu % 3,
            "psu": psu,
            "w": rng.uniform(1, 4, n),
            "y": rng.normal(3, 1, n),
            "x": rng.normal(0, 1, n),
            "g": np.where(rng.random(n) < 0.5, "a", "b"),
            "h": rng.integers(1, 4, n),
            "yes": (rng.random(n) < 0.4).astype(float),
        },
        index=[f"r{i}" for i in range(n)],
    )


def _designs(frame: pd.DataFrame) -> dict[str, Design]:
    lin = SurveyDesign(frame, ids="psu", strata="stratum", weights="w")
    return {"linearisation": lin, "replicate": lin.replicate("JKn")}


@pytest.fixture(scope="module", params=["linearisation", "replicate"])
def design(request, frame) -> Design:
    return _designs(frame)[request.param]


TARGETS = {"g": {"a": 500.0, "b": 520.0}}

VERBS = {
    "mean": lambda d: d.mean(["y", "x"], by="g"),
    "total": lambda d: d.total("y"),
    "proportion": lambda d: d.proportion("h", method="logit"),
    "ratio": lambda d: d.ratio("y", "w"),
    "quantile": lambda d: d.quantile("y", q=[0.25, 0.5]),
    "glm": lambda d: d.glm("yes ~ x + C(g)", family="binomial"),
    "ttest": lambda d: d.ttest("y", "g", level=0.9),
    "chisq": lambda d: d.chisq("g", "h"),
    "contrast": lambda d: d.contrast(d.mean("y", by="g", covmat=True), {"a": 1, "b": -1}),
    "wald_test": lambda d: d.wald_test(d.glm("y ~ x + C(h)"), terms="C(h)"),
    "subset": lambda d: d.subset(d.data["g"] == "a").mean("y"),
    "with_columns": lambda d: d.with_columns(z=lambda f: f["y"] * 2).mean("z"),
    "poststratify": lambda d: d.poststratify(TARGETS).mean("y"),
    "rake": lambda d: d.rake({**TARGETS, "h": {1: 300.0, 2: 350.0, 3: 370.0}}).mean("y"),
    "calibrate": lambda d: d.calibrate({"g": TARGETS["g"], "x": 10.0}).mean("y"),
    "trim": lambda d: d.trim(upper=3.5).mean("y"),
}


def test_both_designs_are_designs(frame):
    designs = _designs(frame)
    assert isinstance(designs["linearisation"], SurveyDesign)
    assert isinstance(designs["replicate"], ReplicateDesign)
    assert {d.variance_method for d in designs.values()} == {"linearisation", "replicate"}
    assert all(isinstance(d, Design) for d in designs.values())


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_on_both_designs(frame, verb):
    """The same call gives a frame of the same shape, index and columns on both designs, the
    same point estimates, and finite SEs from each engine."""
    designs = _designs(frame)
    lin, rep = (VERBS[verb](designs[k]) for k in ("linearisation", "replicate"))
    assert list(lin.columns) == list(rep.columns)
    assert lin.index.equals(rep.index)
    est = next(c for c in ("estimate", "difference", "F", "X2") if c in lin.columns)
    if verb not in ("chisq", "wald_test"):  # test statistics depend on the variance
        np.testing.assert_allclose(lin[est], rep[est], rtol=1e-6)
    for res in (lin, rep):
        se = res["se"] if "se" in res else res["p"]
        assert np.isfinite(se.to_numpy(dtype=float)).all()


def test_interface_properties(design, frame):
    assert design.data is frame or design.data.equals(frame)
    assert design.full_weights.shape == (len(frame),)
    assert not design.full_weights.flags.writeable
    assert design.domain is None and design.domain_mask is None
    sub = design.subset(frame["g"] == "a", name="group a")
    assert sub.domain.sum() == (frame["g"] == "a").sum()
    assert sub.domain_label == "'group a'"
    assert (sub.weights[frame["g"] == "b"] == 0).all()
    assert design.history == ()
    assert design.degf > 0


def test_empty_domain_is_an_error_on_both(design, frame):
    empty = design.subset(np.zeros(len(frame), dtype=bool), name="nobody")
    with pytest.raises(DesignError, match="empty domain 'nobody'"):
        empty.mean("y")
    with pytest.raises(DesignError, match="empty domain"):
        empty.chisq("g", "h")


def test_ttest_level(design):
    wide, narrow = design.ttest("y", "g", level=0.99), design.ttest("y", "g", level=0.8)
    assert (wide["ci_high"] - wide["ci_low"]).iloc[0] > (narrow["ci_high"] - narrow["ci_low"]).iloc[
        0
    ]
    assert wide["difference"].iloc[0] == narrow["difference"].iloc[0]


def test_history_survives_subset_and_with_columns(design, frame):
    weighted = design.poststratify(TARGETS).trim(upper=6.0)
    assert [s.method for s in weighted.history] == ["poststratify", "trim"]
    for derived in (
        weighted.subset(frame["g"] == "a"),
        weighted.with_columns(z=1.0),
        weighted.with_columns(z=1.0).subset(frame["h"] == 1),
    ):
        assert [s.method for s in derived.history] == ["poststratify", "trim"]
        assert derived.history[0].cells.equals(weighted.history[0].cells)
    assert design.history == ()  # the original design is unchanged


def test_weighting_diagnostics_reads_the_history_after_subset(design, frame):
    from trustsurvey.weighting import weighting_diagnostics

    weighted = design.poststratify(TARGETS).with_columns(z=1.0)
    diag = weighting_diagnostics(weighted)
    assert set(diag.margins["target"]) == {500.0, 520.0}


def test_concat_of_two_glm_results(design):
    a = design.glm("y ~ x")
    b = design.glm("y ~ C(g)")
    both = pd.concat([a, b], keys=["m1", "m2"])
    assert len(both) == len(a) + len(b)
    assert a.attrs == {} and b.attrs == {}
    assert list(vcov(a).index) == list(a.index)
    assert result_info(b)["formula"] == "y ~ C(g)"
    assert result_info(b)["df_residual"] == b["df"].iloc[0]


def test_covariance_only_on_the_returned_frame(design):
    res = design.mean("y", by="g", covmat=True)
    v = vcov(res)
    assert v.shape == (2, 2) and list(v.index) == list(res.index)
    np.testing.assert_allclose(np.sqrt(np.diag(v)), res["se"], rtol=1e-12)
    with pytest.raises(DesignError, match="no covariance matrix"):
        vcov(res.copy())
    with pytest.raises(DesignError, match="covmat=True"):
        vcov(design.mean("y", by="g"))


def test_replicate_weighting_reweights_every_replicate(frame):
    rep = _designs(frame)["replicate"]
    cal = rep.poststratify(TARGETS)
    rw = cal.replicate_weights()
    codes = frame["g"].to_numpy()
    for r in range(0, rw.shape[1], 5):
        sums = rw.iloc[:, r].groupby(codes).sum()
        np.testing.assert_allclose(sums.to_numpy(), [500.0, 520.0], rtol=1e-12)
    fixed = rep.poststratify(TARGETS, fixed_weights=True)
    assert fixed.mean("y")["se"].iloc[0] != cal.mean("y")["se"].iloc[0]

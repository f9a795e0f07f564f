"""The small-cell rule on the dose-response: a community with fewer than ``publish.min_cell``
respondents in a wave gets no published change and stays out of the meta-regression."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from trustsurvey.errors import AnalysisError, PublishError
from trustsurvey.programme import dose_response, meta_regression
from trustsurvey.run.steps_publish import dose_table, programme_tables


def _change() -> tuple[pd.DataFrame, pd.DataFrame]:
    change = pd.DataFrame(
        {
            "community": ["a", "b", "c", "d", "e"],
            "change": [0.10, 0.30, 0.45, 0.20, 2.00],
            "se": [0.08, 0.10, 0.12, 0.09, 0.40],
            "ci_low": [-0.06, 0.10, 0.21, 0.02, 1.22],
            "ci_high": [0.26, 0.50, 0.69, 0.38, 2.78],
            "n_1": [120, 95, 60, 140, 18],
            "n_2": [110, 90, 31, 150, 44],
        }
    )
    intensity = pd.DataFrame(
        {
            "community": list("abcde"),
            "arm": ["control", "pilot", "pilot", "control", "pilot"],
            "activities_per_1000": [0.2, 1.5, 3.0, 0.5, 4.0],
        }
    )
    return change, intensity


def test_a_small_community_is_flagged_and_left_out_of_the_fit():
    change, intensity = _change()
    table, fit = dose_response(change, intensity, min_n=30)
    flags = table.set_index("community")
    assert flags["small_cell"].tolist() == [False, False, False, False, True]
    assert flags["in_fit"].tolist() == [True, True, True, True, False]
    assert flags.loc["c", "n"] == 31 and flags.loc["e", "n"] == 18  # the smaller wave
    alone = change.merge(intensity, on="community").iloc[:4]
    expected = meta_regression(alone, "change", "se", "activities_per_1000")
    np.testing.assert_allclose(fit["estimate"], expected["estimate"], rtol=1e-12)
    assert int(fit["k"].iloc[0]) == 4
    b0, b1 = expected["estimate"]
    assert flags.loc["e", "fitted"] == pytest.approx(b0 + b1 * 4.0)  # the line, not its point


def test_without_a_threshold_every_community_is_fitted():
    change, intensity = _change()
    table, fit = dose_response(change, intensity)
    assert not table["small_cell"].any() and int(fit["k"].iloc[0]) == 5


def test_too_few_large_communities_name_the_small_ones():
    change, intensity = _change()
    with pytest.raises(AnalysisError, match="at least 3 communities with 100") as err:
        dose_response(change, intensity, min_n=100)
    assert "b" in str(err.value.item) and "e" in str(err.value.item)


def test_published_table_blanks_the_change_of_a_small_community():
    change, intensity = _change()
    table, _ = dose_response(change, intensity, min_n=30)
    pub = dose_table(table, 30).set_index("community")
    assert pub.loc["e", ["change", "se", "ci_low", "ci_high"]].isna().all()
    assert pub.loc["e", "small_cell"] and pub.loc["e", "activities_per_1000"] == 4.0
    assert pub.drop(index="e")[["change", "se"]].notna().all().all()
    assert not {"n", "n_1", "n_2", "in_fit"} & set(pub.columns)  # counts stay in their tables


def test_published_table_refuses_another_threshold_or_no_counts():
    change, intensity = _change()
    table, _ = dose_response(change, intensity, min_n=30)
    with pytest.raises(PublishError, match="another small-cell threshold"):
        dose_table(table, 40)  # c (31) would be small at 40 but was fitted
    with pytest.raises(PublishError, match="no unweighted counts"):
        dose_table(table.drop(columns=["n_1", "n_2"]), 30)


def test_bundle_and_programme_page_with_a_blanked_community(tmp_path):
    """The bundle keeps the row (flag, intensity, fitted line) without a change, and the
    dashboard's dose-response view draws and lists it without a number."""
    from trustsurvey.dashboard.programme import programme_view
    from trustsurvey.publish import read_bundle, write_bundle

    change, intensity = _change()
    table, fit = dose_response(change, intensity, min_n=30)
    fit.attrs = {}  # the covariance matrix the fitted band used; not a published table
    tables = {
        "dose_response": dose_table(table, 30),
        "dose_fit": fit[["term", "estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "k"]],
    }
    bundle = read_bundle(write_bundle(tables, tmp_path, study_meta={"study": "dose"}))
    dr = bundle.tables["dose_response"].set_index("community")
    assert dr.loc["e", "small_cell"] and np.isnan(dr.loc["e", "change"])
    fig, shown = programme_view(bundle, "dose", "en")
    points = [tr for tr in fig["data"] if tr["mode"] == "markers"]
    # the points are labelled with the communities' labels ("e" shows as "E")
    ys = {str(c).lower(): y for tr in points for c, y in zip(tr["text"], tr["y"], strict=True)}
    assert ys["e"] is None and ys["a"] == pytest.approx(0.10)
    assert len(shown) == 5
    notes = {str(c).lower(): n for c, n in zip(shown["Community"], shown["Note"], strict=True)}
    assert notes["e"].startswith("no change shown: fewer than 30 respondents")
    assert notes["a"] == ""


def test_the_example_with_a_higher_threshold_leaves_its_small_communities_out(
    tmp_path_factory,
):
    """The example study at min_cell 40: Oskil (38/37 respondents) and Savyntsi (59/37)."""
    from trustsurvey.example import generate_example
    from trustsurvey.run.pipeline import STEPS, run_study

    folder = generate_example(tmp_path_factory.mktemp("dose") / "example")
    yaml = folder / "study.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert "  min_cell: 30\n" in text
    yaml.write_text(text.replace("  min_cell: 30\n", "  min_cell: 40\n"), encoding="utf-8")
    names = ("read", "validate", "clean", "indices", "weight", "programme")
    lines: list[str] = []
    ctx = run_study(folder, steps=[s for s in STEPS if s.name in names], echo=lines.append)
    out = ctx.study.out_dir / "programme"
    dose = pd.read_csv(out / "dose_response.csv")
    small = set(dose.loc[dose["small_cell"], "community"])
    assert small == set(dose.loc[dose[["n_1", "n_2"]].min(axis=1) < 40, "community"])
    assert small == {"oskilska", "savynska"}
    fit = pd.read_csv(out / "dose_response_fit.csv")
    assert int(fit["k"].iloc[0]) == len(dose) - 2
    assert any("left out" in line and "oskilska" in line for line in lines)
    published = programme_tables(out, 40)
    pub = published["dose_response"].set_index("community")
    assert pub.loc[sorted(small), "change"].isna().all()
    assert pub.drop(index=sorted(small))["change"].notna().all()
    assert published["dose_fit"]["k"].iloc[0] == len(dose) - 2
    shutil.rmtree(folder)

"""``trustsurvey run`` on a study whose ``publish:`` selects ``reliability_rule: nchs``: its
yes/no outcomes are published with the NCHS standard's decisions, its means with the CV flag.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trustsurvey.dashboard.views import status_text
from trustsurvey.example import generate_example
from trustsurvey.publish.bundle import read_bundle
from trustsurvey.publish.nchs import nchs_proportions
from trustsurvey.run import run_study


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = Path(generate_example(tmp_path_factory.mktemp("nchs") / "study", shape="one-wave"))
    yaml = folder / "study.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert "\n  max_cv: 0.3\n" in text
    yaml.write_text(
        text.replace("\n  max_cv: 0.3\n", "\n  max_cv: 0.3\n  reliability_rule: nchs\n"),
        encoding="utf-8",
    )
    return run_study(folder, echo=lambda s: None)


@pytest.fixture(scope="module")
def bundle(run):  # type: ignore[no-untyped-def]
    return read_bundle(run.outputs["bundle"])


def _binary(bundle) -> set[str]:  # type: ignore[no-untyped-def]
    scales = bundle.manifest["labels"]["scale"]
    return {k for k, v in scales.items() if v.get("binary")}


def test_the_policy_is_recorded(bundle) -> None:  # type: ignore[no-untyped-def]
    assert bundle.manifest["policy"]["reliability_rule"] == "nchs"
    assert bundle.policy.reliability_rule == "nchs"


def test_proportions_follow_the_standard(bundle) -> None:  # type: ignore[no-untyped-def]
    est = bundle.tables["estimates"]
    props = est[est["outcome"].isin(_binary(bundle))]
    assert len(props) > 0
    hidden = props[props["suppression_reason"] == "unreliable"]
    assert len(hidden) >= 1  # the seeded example has communities too small for the standard
    assert hidden["estimate"].isna().all() and hidden["n"].notna().all()
    shown = props[~props["suppressed"]]
    judged = nchs_proportions(shown["estimate"], shown["se"], shown["n"], shown["df"])
    assert not judged["suppress"].any()
    assert shown["unreliable"].tolist() == judged["review"].tolist()


def test_means_keep_the_cv_rule(bundle) -> None:  # type: ignore[no-untyped-def]
    est = bundle.tables["estimates"]
    means = est[~est["outcome"].isin(_binary(bundle)) & ~est["suppressed"]]
    assert len(means) > 0
    assert (means["suppression_reason"] != "unreliable").all()
    want = (means["cv"] > bundle.policy.max_cv).to_numpy()
    assert np.array_equal(means["unreliable"].to_numpy(dtype=bool), want)


def test_the_manifest_and_the_dashboard_say_why(bundle) -> None:  # type: ignore[no-untyped-def]
    est = bundle.tables["estimates"]
    n_hidden = int((est["suppression_reason"] == "unreliable").sum())
    assert bundle.manifest["disclosure"]["suppressed"]["estimates"]["unreliable"] == n_hidden
    row = est[est["suppression_reason"] == "unreliable"].iloc[0].to_dict()
    assert "NCHS" in status_text(row, bundle, "en")
    assert "NCHS" in status_text(row, bundle, "uk")


def test_methodology_states_the_rule(run, bundle) -> None:  # type: ignore[no-untyped-def]
    from trustsurvey.dashboard.methodology import methodology_paragraphs

    assert "Korn-Graubard" in run.outputs["report"].read_text(encoding="utf-8")
    assert any("NCHS" in p for p in methodology_paragraphs(bundle, "en"))

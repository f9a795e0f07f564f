"""The pipeline's estimates on the reference file equal R survey's (svyby(~y, ~pilot+wave)).

R: svydesign(ids=~psu, strata=~stratum, weights=~pw, nest=TRUE, data=trust_two_waves);
svyby(~trust_police, ~pilot+wave, design, svymean, na.rm=TRUE) and the same for the
procedural-justice index (tests/fixtures/oracle.R, keys trust_by_arm_wave and
pj_index_by_arm_wave of trust_reference.json).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trustsurvey.run.pipeline import STEPS, run_study

STUDY_YAML = """name: reference
questionnaire: police_trust_core
waves:
  - {code: 1, file: trust_w1.sav, period: baseline}
  - {code: 2, file: trust_w2.sav, period: follow-up}
design: {ids: psu, strata: stratum, weights: pw, nest: true}
arms: {treatment: pilot, pilot_code: 1}
"""


@pytest.fixture(scope="module")
def ctx(fixtures_dir: Path, tmp_path_factory):
    import pyreadstat

    folder = tmp_path_factory.mktemp("ref")
    source = fixtures_dir / "trust" / "trust_two_waves.sav"
    df, meta = pyreadstat.read_sav(str(source), user_missing=True)
    missing = {c: [r["lo"] for r in v] for c, v in meta.missing_ranges.items()}
    for wave in (1, 2):
        pyreadstat.write_sav(
            df[df["wave"] == wave],
            str(folder / f"trust_w{wave}.sav"),
            column_labels=meta.column_names_to_labels,
            variable_value_labels=meta.variable_value_labels,
            missing_ranges=missing,
        )
    (folder / "study.yaml").write_text(STUDY_YAML, encoding="utf-8")
    # no cleaning step: the reference values use every respondent
    steps = [s for s in STEPS if s.name in ("read", "indices", "estimates")]
    return run_study(folder, steps=steps, echo=lambda s: None)


@pytest.mark.parametrize(
    ("variable", "key"),
    [("trust_police", "trust_by_arm_wave"), ("pj_index", "pj_index_by_arm_wave")],
)
def test_estimates_by_arm_and_wave_match_r(ctx, trust_reference, variable, key) -> None:
    ref = trust_reference[key]
    est = ctx.estimates[ctx.estimates["variable"] == variable].set_index(["arm", "wave"])
    for pilot, wave, estimate, se in zip(
        ref["pilot"], ref["wave"], ref["estimate"], ref["se"], strict=True
    ):
        row = est.loc[("pilot" if pilot == 1 else "control", wave)]
        np.testing.assert_allclose(row["estimate"], estimate, rtol=1e-6)
        np.testing.assert_allclose(row["se"], se, rtol=1e-6)


def test_index_valid_count_matches_r(ctx, trust_reference) -> None:
    assert int(ctx.analysis["pj_index"].notna().sum()) == trust_reference["pj_index_n_valid"]

"""Small-area estimates in the bundle do not reveal a suppressed direct estimate.

An EBLUP is ``gamma * direct + (1 - gamma) * synthetic``: with gamma and the synthetic part
derivable, a published EBLUP gives the direct estimate back. The pipeline's ``small_area``
table is therefore fitted on published direct estimates only; a community whose direct
estimate is hidden gets the synthetic estimate of a model that never saw its respondents.
Checked here by changing the hidden community's answers: nothing published may move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey.design import SurveyDesign
from trustsurvey.publish.schema import ALL, KINDS
from trustsurvey.run.small_area import published_directs, small_area_table

COMS = [f"c{i:02d}" for i in range(14)]


def _design(shift_hidden: float = 0.0, hidden: str = "c03", base: float = 0.35) -> SurveyDesign:
    rng = np.random.default_rng(5)
    rows = []
    x = np.linspace(-1, 1, len(COMS))
    for i, c in enumerate(COMS):
        for wave in (1, 2):
            n = 12 if c == hidden else int(rng.integers(35, 80))
            y = (rng.random(n) < base + 0.15 * x[i] + rng.normal(scale=0.08)).astype(float)
            if c == hidden:
                y = np.clip(y + shift_hidden, 0, 1)
            psu = [f"{c}{wave}{k % 3}" for k in range(n)]
            w = rng.lognormal(sigma=0.7, size=n)
            rows.append(pd.DataFrame({"hromada": c, "wave": wave, "psu": psu, "w": w, "yes": y}))
    return SurveyDesign(pd.concat(rows, ignore_index=True), ids="psu", weights="w")


COV = pd.DataFrame({"community": COMS, "calls": np.linspace(-1, 1, len(COMS)) * 3 + 10})


def _published(hidden: set[str]) -> set[tuple[str, str, int]]:
    return {("yes", c, w) for c in COMS for w in (1, 2) if c not in hidden}


def test_a_hidden_community_gets_the_synthetic_estimate() -> None:
    table = small_area_table(_design(), "hromada", COV, ["yes"], _published({"c03"}))
    row = table[(table["community"] == "c03") & (table["wave"] == 1)].iloc[0]
    assert row["basis"] == "synthetic" and row["gamma"] == 0
    shown = table[table["community"] != "c03"]
    assert (shown["basis"] == "eblup").any()


def test_nothing_published_depends_on_the_hidden_respondents() -> None:
    before = small_area_table(_design(0.0), "hromada", COV, ["yes"], _published({"c03"}))
    after = small_area_table(_design(1.0), "hromada", COV, ["yes"], _published({"c03"}))
    pd.testing.assert_frame_equal(before, after)


def test_a_published_community_does_move_with_its_answers() -> None:
    """The check above can fail: had c03 been published, its row would change."""
    before = small_area_table(_design(0.0), "hromada", COV, ["yes"], _published(set()))
    after = small_area_table(_design(1.0), "hromada", COV, ["yes"], _published(set()))
    a = before.set_index(["community", "wave"]).loc[("c03", 1), "estimate"]
    b = after.set_index(["community", "wave"]).loc[("c03", 1), "estimate"]
    assert a != pytest.approx(b)


def test_published_directs_reads_suppressed_and_blank_rows_as_hidden() -> None:
    est = pd.DataFrame(
        {
            "outcome": "yes",
            "community": ["c01", "c02", "c03", ALL],
            "wave": 1,
            "subgroup": ALL,
            "estimate": [0.4, np.nan, 0.5, 0.45],
            "suppressed": [False, True, False, False],
        }
    )
    est.loc[2, "suppressed"] = True  # a complementary suppression keeps no estimate either
    assert published_directs(est) == {("yes", "c01", 1)}


def test_the_kind_has_no_count_and_declares_why() -> None:
    kind = KINDS["small_area"]
    assert kind.count is None and kind.declared


def test_shares_stay_between_0_and_1() -> None:
    rare = _design(base=0.12)  # a rare answer: normal intervals reach below 0
    table = small_area_table(rare, "hromada", COV, ["yes"], _published({"c03"}))
    cols = ["estimate", "ci_low", "ci_high"]
    assert ((table[cols] >= 0) & (table[cols] <= 1)).all().all()
    assert (table["ci_low"] == 0).any()  # clipped, not merely inside


def test_numeric_community_codes_keep_the_published_spelling() -> None:
    """Codes read from SPSS are floats (1.0), the covariate file has integers (1); the table
    names each community as the estimates table does, and hides what it hides."""
    design = _design()
    codes = {c: float(i + 1) for i, c in enumerate(COMS)}
    numeric = design.with_columns(hromada=design.data["hromada"].map(codes))
    cov = COV.assign(community=COV["community"].map(codes).astype(int))
    published = {("yes", str(codes[c]), w) for _, c, w in _published({"c03"})}
    table = small_area_table(numeric, "hromada", cov, ["yes"], published)
    assert set(table["community"]) == {str(v) for v in codes.values()}  # "1.0", as published
    hidden = table[table["community"] == str(codes["c03"])]
    assert (hidden["basis"] == "synthetic").all()
    assert (table[table["community"] != str(codes["c03"])]["basis"] == "eblup").any()

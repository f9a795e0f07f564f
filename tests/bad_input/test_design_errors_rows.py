"""Design errors say what rows they list; study errors point at file and data row; an empty
domain is an error naming it (R's svymean on an empty subset errors too)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trustsurvey import SurveyDesign
from trustsurvey.design.metadata import result_info
from trustsurvey.design.replicate import ReplicateDesign
from trustsurvey.design.rows import row_ref
from trustsurvey.errors import DesignError
from trustsurvey.study.locate import locate


def _frame(index=None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stratum": [1, 1, 1, 1, 2, 2, 2, 2],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4],
            "w": [1.0, 2, 1, 2, 1, 2, 1, 2],
            "y": [1.0, 2, 3, 4, 5, 6, 7, 8],
            "g": list("abababab"),
        },
        index=index,
    )


def test_default_index_lists_data_rows_and_labels():
    df = _frame()
    df.loc[[3, 7], "w"] = np.nan
    with pytest.raises(DesignError) as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    assert "row 4, 8 (1-based data rows; index labels 3, 7)" in str(err.value)
    assert err.value.row.positions == (3, 7)
    assert err.value.row.labels == (3, 7)


def test_other_index_says_index_labels():
    df = _frame(index=[f"r{i}" for i in range(8)])
    df.loc["r5", "w"] = -1.0
    with pytest.raises(DesignError) as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    assert "index labels r5" in str(err.value)
    assert "1-based" not in str(err.value)
    assert err.value.row.positions == (5,)


def test_shifted_range_index_is_not_taken_for_data_rows():
    df = _frame(index=pd.RangeIndex(10, 18))
    df.loc[12, "w"] = 0.0
    with pytest.raises(DesignError) as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    assert "index labels 12" in str(err.value) and "1-based" not in str(err.value)


def test_structure_and_subset_errors_use_the_same_wording():
    df = _frame()
    df.loc[6:7, "stratum"] = 3  # stratum 3 has a single PSU
    with pytest.raises(DesignError) as err:
        SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    # stratum 2 keeps PSU 3 only, stratum 3 has PSU 4 only: rows 5-8 are listed
    assert "row 5, 6, 7, 8 (1-based data rows; index labels 4, 5, 6, 7)" in str(err.value)
    d = SurveyDesign(_frame(), ids="psu", strata="stratum", weights="w")
    mask = pd.Series([True, None, True, True, True, True, True, True], dtype="boolean")
    with pytest.raises(DesignError, match=r"row 2 \(1-based data rows; index labels 1\)"):
        d.subset(mask)


def test_replicate_weight_errors_use_the_same_wording():
    df = _frame().assign(r1=1.0, r2=1.0)
    df.loc[4, "r2"] = np.nan
    with pytest.raises(DesignError, match=r"row 5 \(1-based data rows; index labels 4\)"):
        ReplicateDesign.from_columns(df, "w", ["r1", "r2"], type="JK1")


def test_long_lists_say_how_many_in_all():
    ref = row_ref(pd.RangeIndex(30), np.arange(30) % 2 == 0)
    assert str(ref).startswith("1, 3, 5") and "(15 in all)" in str(ref)
    assert ref.count == 15 and len(ref.positions) == 10


def test_empty_domain_is_an_error_naming_it():
    d = SurveyDesign(_frame(), ids="psu", strata="stratum", weights="w")
    empty = d.subset(d.data["g"] == "z", name="g == 'z'")
    for estimate in (
        lambda: empty.mean("y"),
        lambda: empty.total("y"),
        lambda: empty.ratio("y", "w"),
    ):
        with pytest.raises(DesignError) as err:
            estimate()
        assert "empty domain \"g == 'z'\"" in str(err.value) and err.value.hint
    # unnamed: the Series' name is said; nested subsets name both conditions
    with pytest.raises(DesignError, match=r"subset on 'g'"):
        d.subset(d.data["g"] == "z").mean("y")
    both = d.subset(d.data["g"] == "a", name="a").subset(d.data["y"] > 100, name="y > 100")
    with pytest.raises(DesignError, match=r"empty domain 'a' & 'y > 100'"):
        both.proportion("g")


def test_empty_by_groups_stay_documented_behaviour():
    df = _frame()
    df["g"] = pd.Categorical(df["g"], categories=["a", "b", "c"])
    d = SurveyDesign(df, ids="psu", strata="stratum", weights="w")
    res = d.mean("y", by="g")
    assert result_info(res)["empty_groups"] == [("g", "c")]
    assert len(res) == 2 and res["n"].tolist() == [4, 4]


def test_replicate_empty_domain_is_an_error():
    df = _frame().assign(r1=1.0, r2=2.0)
    d = ReplicateDesign.from_columns(df, "w", ["r1", "r2"], type="JK1")
    with pytest.raises(DesignError, match="empty domain 'nobody'"):
        d.subset(np.zeros(8, dtype=bool), name="nobody").mean("y")


def test_locate_translates_positions_to_file_rows():
    frame = pd.DataFrame(
        {"source_file": ["a.sav", "a.sav", "b.sav"], "source_row": [1, 3, 2], "w": [1.0, 0, 0]}
    )
    err = DesignError("bad weight", item="w", row=row_ref(frame.index, frame["w"].eq(0)), hint="x")
    out = locate(frame, err)
    assert out.file == "a.sav, b.sav" and out.row == ["a.sav:3", "b.sav:2"]
    one = locate(frame, DesignError("bad", row=row_ref(frame.index, [1])))
    assert one.file == "a.sav" and one.row == [3] and str(one).startswith("a.sav, row 3: bad")
    # nothing to translate: the error is returned as is
    plain = DesignError("no rows")
    assert locate(frame, plain) is plain
    assert locate(frame.drop(columns="source_row"), err) is err


def _example_with(tmp_path, edits):
    pyreadstat = pytest.importorskip("pyreadstat")
    from trustsurvey.example import generate_example

    folder = generate_example(tmp_path / "s")
    path = folder / "data" / "wave2_followup.sav"
    df, meta = pyreadstat.read_sav(path, user_missing=True)
    for (i, col), value in edits.items():
        df.loc[i, col] = value
    pyreadstat.write_sav(
        df,
        path,
        column_labels=meta.column_labels,
        variable_value_labels=meta.variable_value_labels,
    )
    return folder


def test_study_pipeline_points_at_wave_file_and_data_row(tmp_path):
    from trustsurvey.run.pipeline import STEPS, run_study

    # data row 100 has a bad weight (validation flags it, cleaning drops it: rows shift);
    # data row 1500 is alone in a new stratum: the design error must name that row.
    folder = _example_with(tmp_path, {(99, "pw"): -1.0, (1499, "stratum"): 99, (1499, "psu"): 9999})
    steps = [s for s in STEPS if s.name in ("read", "validate", "clean", "indices", "estimates")]
    with pytest.raises(DesignError) as err:
        run_study(folder, steps=steps, echo=lambda s: None)
    assert err.value.file == "data/wave2_followup.sav"
    assert err.value.row == [1500]
    assert str(err.value).startswith("data/wave2_followup.sav, item stratum, row 1500:")
    frame = pd.read_parquet(folder / "out" / "analysis.parquet")
    wave2 = frame[frame["source_file"] == "data/wave2_followup.sav"]
    assert 100 not in wave2["source_row"].tolist() and 1500 in wave2["source_row"].tolist()
    assert wave2["source_row"].is_monotonic_increasing

"""A disclosure policy that cannot be met, and cells that cannot be protected: a clear error
naming the table, the cell and what to relax; nothing is written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trustsurvey.publish.suppression as suppression
from trustsurvey.errors import PublishError
from trustsurvey.publish import DisclosurePolicy, write_bundle
from trustsurvey.publish.fixture import (
    SYNTHETIC_META,
    simulate_respondents,
    synthetic_tables,
    tables_from_respondents,
)

META = {"study": "s"}


def simulated(communities: int, waves: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    sizes = {
        f"c{i:04d}": tuple(int(x) for x in rng.integers(15, 201, waves)) for i in range(communities)
    }
    arms = {c: ("pilot" if i % 2 == 0 else "control") for i, c in enumerate(sizes)}
    return tables_from_respondents(simulate_respondents(sizes, seed=seed, arms=arms))


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_min_cell_above_every_cell_names_the_table_and_what_to_lower(tmp_path, method):
    tables = synthetic_tables(seed=1)
    largest = max(float(tables["sample_sizes"]["n"].max()), 1.0)
    policy = DisclosurePolicy(min_cell=int(largest * 100), suppression_method=method)
    out = tmp_path / "bundle"
    with pytest.raises(PublishError) as err:
        write_bundle(tables, out, study_meta=SYNTHETIC_META, policy=policy)
    text = str(err.value)
    assert "every count of table" in text and "publish.min_cell" in text
    assert err.value.item in tables  # the table is named
    assert "lower publish.min_cell to at most" in (err.value.hint or "")
    assert not out.exists()


def test_min_records_above_every_appeal_count_names_min_records(tmp_path):
    appeals = pd.DataFrame(
        {
            "community": ["a", "a", "b", "b"],
            "category": ["x", "y", "x", "y"],
            "period": ["before", "before", "before", "before"],
            "n": [12, 30, 25, 40],
        }
    )
    policy = DisclosurePolicy(min_records=41)
    with pytest.raises(PublishError, match=r"publish\.min_records") as err:
        write_bundle({"appeals": appeals}, tmp_path / "b", study_meta=META, policy=policy)
    assert err.value.item == "appeals"
    assert "to at most 40" in (err.value.hint or "")
    assert not (tmp_path / "b").exists()


def test_cells_left_exposed_are_named_by_table_row_and_keys_and_nothing_written(
    tmp_path, monkeypatch
):
    # one round of complements is not enough for the greedy method on this study: what it
    # cannot protect in the rounds it has is reported cell by cell, and no bundle appears
    monkeypatch.setattr(suppression, "MAX_ROUNDS", 1)
    tables = simulated(4, 2)
    out = tmp_path / "bundle"
    with pytest.raises(PublishError, match="could not protect") as err:
        write_bundle(tables, out, study_meta=META, policy={"suppression_method": "greedy"})
    items = err.value.item
    assert isinstance(items, list) and items
    for item in items:  # "likert row 6 n (outcome=..., community=..., arm=..., wave=1, ...)"
        table, rest = item.split(" row ", 1)
        assert table in tables
        assert "community=" in rest and "wave=" in rest
    assert "publish fewer breakdowns" in (err.value.hint or "")
    assert not out.exists()

"""Property: whatever the community sizes, every small cell is suppressed and the LP audit
finds no suppressed count that can be recomputed or narrowed below the protection interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trustsurvey.errors import PublishError
from trustsurvey.publish.audit import audit_tables
from trustsurvey.publish.normalize import normalize_table
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.schema import ALL
from trustsurvey.publish.suppression import protect_tables

POLICY = DisclosurePolicy()


def sample_sizes(counts: list[int]) -> pd.DataFrame:
    arms = ["pilot" if i % 2 == 0 else "control" for i in range(len(counts))]
    rows = [
        {"community": f"c{i}", "arm": a, "wave": 1, "n": n}
        for i, (n, a) in enumerate(zip(counts, arms, strict=True))
    ]
    for arm in ("pilot", "control"):
        total = sum(n for n, a in zip(counts, arms, strict=True) if a == arm)
        rows.append({"community": ALL, "arm": arm, "wave": 1, "n": total})
    rows.append({"community": ALL, "arm": ALL, "wave": 1, "n": sum(counts)})
    return normalize_table("sample_sizes", pd.DataFrame(rows))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=4, max_size=10))
@example([0, 0, 0, 30])  # every part of the exposing relation already suppressed: go further
def test_small_cells_never_leak(counts):
    table = sample_sizes(counts)
    if (table["n"] < POLICY.min_cell).all():  # nothing could be published: a clear error
        with pytest.raises(PublishError, match="min_cell"):
            protect_tables({"sample_sizes": table}, POLICY)
        return
    out, audit = protect_tables({"sample_sizes": table}, POLICY)
    ss = out["sample_sizes"]
    # published rows are in key order: the true count of each, matched by key
    keys = ["community", "arm", "wave"]
    true_n = ss[keys].merge(table[[*keys, "n"]], on=keys, how="left")["n"].to_numpy()
    small = true_n < POLICY.min_cell
    assert ss["suppressed"].to_numpy()[small].all()
    assert (ss.loc[ss["suppressed"], "n"].isna()).all()
    assert not audit["exposed"].any()
    # re-auditing the published table alone (as an intruder would) agrees
    again = audit_tables(out, POLICY)
    assert not again["exposed"].any()
    # and the true value of every suppressed count lies within the derived bounds
    for row, lo, hi in zip(again["row"], again["lower"], again["upper"], strict=True):
        assert lo - 1e-6 <= true_n[row] <= hi + 1e-6 or np.isinf(hi)

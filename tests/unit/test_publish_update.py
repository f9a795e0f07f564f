"""The audit of an update together with the previous release (``publish.update``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustsurvey.publish import write_bundle
from trustsurvey.publish.audit import audit_tables
from trustsurvey.publish.fixture import synthetic_meta
from trustsurvey.publish.normalize import normalize_table
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.schema import ALL
from trustsurvey.publish.suppression import protect_tables
from trustsurvey.publish.update import audit_update

POLICY = DisclosurePolicy()
META = synthetic_meta()
ARMS = {"a": "pilot", "b": "pilot", "c": "pilot", "d": "control", "e": "control"}


def sizes(counts: dict[str, int]) -> pd.DataFrame:
    """A sample-size table of one wave with arm margins and the grand total."""
    rows = [{"community": c, "arm": ARMS[c], "wave": 1, "n": n} for c, n in counts.items()]
    for arm in sorted({ARMS[c] for c in counts}):
        total = sum(n for c, n in counts.items() if ARMS[c] == arm)
        rows.append({"community": ALL, "arm": arm, "wave": 1, "n": total})
    rows.append({"community": ALL, "arm": ALL, "wave": 1, "n": sum(counts.values())})
    return normalize_table("sample_sizes", pd.DataFrame(rows))


def hide(table: pd.DataFrame, reasons: dict[str, str]) -> pd.DataFrame:
    """``table`` as published with the rows of the named communities hidden."""
    out = table.assign(suppressed=table["community"].isin(list(reasons)), suppression_reason=None)
    out["suppression_reason"] = out["community"].map(reasons).astype(object)
    out.loc[out["suppressed"], "n"] = np.nan
    return out


FIRST = {"sample_sizes": hide(sizes(dict(a=50, b=60, d=60, e=70)), {})}
#: community c joins with 5 respondents; a, published before with 50, hidden as its
#: complement: alone the update keeps c within 0..9, but a cannot have shrunk, so c <= 5
LEAKY = {"sample_sizes": hide(sizes(dict(a=50, b=60, c=5, d=60, e=70)),
                              {"a": "complementary", "c": "small_cell"})}  # fmt: skip


def cell(audit: pd.DataFrame, release: str, community: str, table: pd.DataFrame) -> pd.Series:
    row = int(np.flatnonzero(table["community"].to_numpy() == community)[0])
    mine = audit[(audit["release"] == release) & (audit["row"] == row)]
    assert len(mine) == 1, mine
    return mine.iloc[0]


def test_the_update_alone_passes_its_audit() -> None:
    assert not audit_tables(LEAKY, POLICY)["exposed"].any()


def test_both_releases_together_narrow_the_new_small_cell() -> None:
    audit = audit_update(FIRST, LEAKY, POLICY)
    c = cell(audit, "update", "c", LEAKY["sample_sizes"])
    assert c["exposed"]
    assert (c["lower"], c["upper"]) == pytest.approx((0.0, 5.0))
    a = cell(audit, "update", "a", LEAKY["sample_sizes"])
    assert a["lower"] == pytest.approx(50.0) and a["upper"] == pytest.approx(55.0)
    assert set(audit["release"]) == {"update"}  # the first release hid nothing


def test_the_writer_protects_the_update_against_both_releases() -> None:
    update = {"sample_sizes": sizes(dict(a=50, b=60, c=5, d=60, e=70))}
    published, _ = protect_tables(update, POLICY, previous=FIRST)
    audit = audit_update(FIRST, published, POLICY)
    assert len(audit) >= 2 and not audit["exposed"].any(), audit.to_string()
    hidden = published["sample_sizes"].set_index("community")["suppression_reason"]
    assert hidden["c"] == "small_cell"
    assert hidden[["a", "b"]].isna().all()  # published before: hiding them protects nothing


def test_a_small_cell_of_the_previous_release_is_checked_too() -> None:
    """The previous release hid c (4 respondents) with a; the update publishes a again (it
    grew by 20) and hides c and b: c_new - c_old is within the growth of c's sample, which
    the update hides, so c_old keeps its interval only as long as that growth is hidden."""
    first = {"sample_sizes": hide(sizes(dict(a=50, b=60, c=4, d=60, e=70)),
                                  {"a": "complementary", "c": "small_cell"})}  # fmt: skip
    update = {"sample_sizes": hide(sizes(dict(a=70, b=60, c=6, d=60, e=70)),
                                   {"b": "complementary", "c": "previous_release"})}  # fmt: skip
    audit = audit_update(first, update, POLICY)
    old = cell(audit, "previous", "c", first["sample_sizes"])
    # b_new >= b_old = 60 leaves c_new <= 6, and c_old <= c_new
    assert old["upper"] == pytest.approx(6.0) and old["exposed"]
    assert old["update_cell"] >= 0


def test_growth_that_contradicts_the_published_numbers_is_not_assumed() -> None:
    """a lost 10 respondents in the update (hidden): a + c = 45 cannot hold with a >= 50,
    so the intruder learns growth is not to be assumed; each release is read alone (c
    within 0 .. 45 - min_cell, as a complement holds at least min_cell)."""
    update = {"sample_sizes": hide(sizes(dict(a=40, b=60, c=5, d=60, e=70)),
                                   {"a": "complementary", "c": "small_cell"})}  # fmt: skip
    audit = audit_update(FIRST, update, POLICY)
    c = cell(audit, "update", "c", update["sample_sizes"])
    alone = audit_tables(update, POLICY).set_index("row").loc[2]
    assert (c["lower"], c["upper"]) == pytest.approx((alone["lower"], alone["upper"]))
    assert c["upper"] == pytest.approx(45 - POLICY.min_cell) and not c["exposed"]


def test_a_published_sample_that_shrank_is_not_linked() -> None:
    update = {"sample_sizes": hide(sizes(dict(a=40, b=60, d=60, e=70)), {})}
    audit = audit_update(FIRST, update, POLICY)
    assert audit.empty


def test_the_audit_command_checks_an_update_with_the_release_before_it(tmp_path: Path) -> None:
    """Written without ``previous``, the update hides a published community as c's
    complement: alone it passes, with the first release the command exits 2."""
    first = write_bundle(
        {"sample_sizes": sizes(dict(a=50, b=60, d=60, e=70))}, tmp_path / "one", study_meta=META
    )
    joined = {"sample_sizes": sizes(dict(a=50, b=60, c=5, d=60, e=70))}
    careless = write_bundle(joined, tmp_path / "careless", study_meta=META)
    careful = write_bundle(joined, tmp_path / "careful", study_meta=META, previous=first)

    def audit(*args: Path | str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "trustsurvey", "publish", "audit", *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True)

    assert audit(careless).returncode == 0
    leak = audit(careless, "--previous", first)
    assert leak.returncode == 2 and "of the update release" in leak.stderr, leak.stderr
    ok = audit(careful, "--previous", first)
    assert ok.returncode == 0, ok.stderr
    assert "sample_sizes.n (update release)" in ok.stdout

"""An update that adds a wave: the intruder holds both releases.

The first release of a 24-community study holds its first two waves and the hotline records
up to 2021-03-15; the second, written by the real pipeline with ``publish.previous_bundle``,
holds the third wave and every record. The new wave splits the first release's open period
(``after_wave_2`` becomes ``between_waves_2_3`` and ``after_wave_3``) and its last month
was cut short. The exact attack of :mod:`releases` (records of whole months unchanged, the
old open period covered by the new ones, a DiD's n of other waves not linked) recovered 35
cells before the writer audited both releases together with the same timeline; now none.
Every bound the attack proves exactly holds the true value (its model is right).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from national import new_wave_releases, true_counts, true_tables
from releases import attack_releases

from trustsurvey.example import generate_example
from trustsurvey.publish.update import audit_update

CUTOFF = "2021-03-15"


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("new_wave")
    study = generate_example(root / "study", communities=24, waves=3, progress=False)
    return new_wave_releases(study, root, CUTOFF)


@pytest.fixture(scope="module")
def bounds(releases: dict[str, Any]) -> Any:
    return attack_releases([releases["first"], releases["second"]])


def test_the_second_release_adds_a_wave_and_splits_the_open_period(releases: dict) -> None:
    first, second = releases["first"], releases["second"]
    assert len(first.manifest["waves"]) == 2 and len(second.manifest["waves"]) == 3
    before, after = set(first.tables["appeals"]["period"]), set(second.tables["appeals"]["period"])
    assert "after_wave_2" in before - after
    assert {"between_waves_2_3", "after_wave_3"} <= after - before


def test_an_intruder_with_both_releases_recovers_no_cell(bounds: Any) -> None:
    assert set(bounds["release"]) == {0, 1} and len(bounds) > 1000
    exposed = bounds[bounds["exposed"]]
    assert exposed.empty, exposed.to_string()


def test_the_intruders_exact_bounds_hold_the_true_values(bounds: Any, releases: dict) -> None:
    exact = bounds[bounds["solved"]]
    assert len(exact) > 50
    bundles = [releases["first"], releases["second"]]
    tables = [true_tables(run) for run in releases["runs"]]
    for (r, kind), part in exact.groupby(["release", "table"]):
        true = true_counts(tables[r], bundles[r], kind, part["row"])
        for lo, hi, value in zip(part["lower"], part["upper"], true, strict=True):
            assert lo - 1e-6 <= value <= hi + 1e-6, (kind, lo, hi, value)


def test_the_writers_audit_of_both_releases_agrees(releases: dict) -> None:
    first, second = releases["first"], releases["second"]
    audit = audit_update(first.tables, second.tables, second.policy, exact=False)
    assert not audit["exposed"].any()
    assert (audit["release"] == "previous").sum() > 100

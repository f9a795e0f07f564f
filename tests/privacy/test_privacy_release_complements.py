"""An update's complements must hide something the previous release did not show.

A community joins between two releases with a small sample: its cells need complements, and
the rows of the communities that did not change were published by the first release. An
update that hid one of those as a complement would protect nothing (an intruder reads it in
the first release), so the writer never chooses them (it chose 14 of them before). And the
margins of the two releases differ by the new community's counts: the writer's audit of
both releases together hides what keeps them in their interval (before it, an intruder with
both narrowed 10 of its small counts)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from releases import attack_releases

from trustsurvey.publish.bundle import read_bundle, write_bundle
from trustsurvey.publish.fixture import (
    SIZES,
    simulate_respondents,
    synthetic_meta,
    tables_from_respondents,
)
from trustsurvey.publish.schema import KINDS
from trustsurvey.publish.update import audit_update

NEW = "kagarlyk"


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    root: Path = tmp_path_factory.mktemp("releases")
    first = write_bundle(
        tables_from_respondents(simulate_respondents(sizes=SIZES)),
        root / "first",
        study_meta=synthetic_meta(),
    )
    # respondents are drawn community by community: the six keep their answers
    update = tables_from_respondents(simulate_respondents(sizes={**SIZES, NEW: (12, 12)}))
    second = write_bundle(update, root / "second", study_meta=synthetic_meta(), previous=first)
    return read_bundle(first), read_bundle(second)


def test_the_new_community_needs_complements(releases: tuple) -> None:
    _, second = releases
    ss = second.tables["sample_sizes"]
    assert ss.loc[ss["community"] == NEW, "suppression_reason"].eq("small_cell").all()
    assert second.tables["sample_sizes"]["suppression_reason"].notna().sum() > 2


def test_no_complement_is_a_row_the_first_release_published(releases: tuple) -> None:
    first, second = releases
    reused: dict[str, int] = {}
    for kind, new in second.tables.items():
        spec = KINDS[kind]
        if not spec.count or "suppression_reason" not in new:
            continue
        keys = [k for k in spec.keys if k in new.columns]
        old = first.tables[kind]
        shown = old.loc[old["suppression_reason"].isna(), keys]
        hidden = new["suppression_reason"].eq("complementary")
        if "community" in keys:  # rows of the six unchanged communities
            hidden &= ~new["community"].isin([NEW, "all"])
        both = new.loc[hidden, keys].merge(shown, on=keys)
        if len(both):
            reused[kind] = len(both)
    assert reused == {}, reused


def test_the_unchanged_communities_keep_their_published_numbers(releases: tuple) -> None:
    first, second = releases
    keys = ["community", "arm", "wave"]
    old = first.tables["sample_sizes"].set_index(keys)["n"]
    new = second.tables["sample_sizes"].set_index(keys)["n"]
    same = old.index[~old.index.get_level_values("community").isin(["all"])]
    pd.testing.assert_series_equal(new.loc[same], old.loc[same])


def test_an_intruder_with_both_releases_narrows_no_count_of_the_new_community(
    releases: tuple,
) -> None:
    bounds = attack_releases(list(releases))
    assert (bounds["release"] == 1).sum() > 100
    exposed = bounds[bounds["exposed"]]
    assert exposed.empty, exposed.to_string()


def test_the_writers_audit_of_both_releases_agrees(releases: tuple) -> None:
    first, second = releases
    audit = audit_update(first.tables, second.tables, second.policy)
    assert set(audit["release"]) == {"previous", "update"}
    assert not audit["exposed"].any()

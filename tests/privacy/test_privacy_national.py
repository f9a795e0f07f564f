"""A many-community study written by the real pipeline (``trustsurvey example --communities
N --waves 2`` and ``trustsurvey run``), built once per session, attacked over HTTP and from
its bundle, and then updated (late interviews) and published again with
``publish.previous_bundle``. The suite runs it at 24 communities;
``benchmarks/privacy_national.py`` runs the same tests at 100
(``TRUSTSURVEY_PRIVACY_COMMUNITIES``).

The intruder walks the whole dashboard (:func:`walk.walk_dashboard`: every page with every
combination of its filters, every community, arm, wave and subgroup, both languages, and
the CSV/XLSX download of every view), checks that no suppressed row shows a number, that
every count it got is one the bundle publishes (so the bundle's numbers are the union of
what it holds) and that the other language shows no other number. On that union it runs
the exact linear-programming attack of :mod:`releases` (every declared relation of every
table, the monthly hotline series included), its own programmes on the hotline counts
(:func:`test_privacy_declared.attack`) and on the counts the pages show
(:func:`test_privacy_example_study.attack_example_counts`), and the writer's exact audit.

The update adds interviews where a community-wave is a few short of ``min_cell`` (so its
sample would now be published) and to the largest community-waves. An intruder holding both
releases (and so both dashboards) runs the attack of :mod:`releases` on them jointly: with
``publish.previous_bundle`` it recovers no small cell; the same update written without it
gives old small cells back, at their true values (the negative control).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from national import (
    late_interviews,
    national_study,
    republish_without_previous,
    run_bundle_steps,
    true_growth,
    with_late_interviews,
)
from releases import attack_releases
from test_privacy_declared import attack as attack_appeals
from walk import blank_suppressed_rows, check_languages_agree, shown_frames, walk_dashboard

logging.getLogger("werkzeug").setLevel(logging.ERROR)

COMMUNITIES = int(os.environ.get("TRUSTSURVEY_PRIVACY_COMMUNITIES", "24"))
WAVES = 2
#: a JSON file the figures of the attacks are added to (``benchmarks/privacy_national.py``)
REPORT = os.environ.get("TRUSTSURVEY_PRIVACY_REPORT")


def record(**figures: Any) -> None:
    """Add ``figures`` to the report file, when one is named."""
    if not REPORT:
        return
    path = Path(REPORT)
    done = json.loads(path.read_text("utf-8")) if path.exists() else {}
    path.write_text(json.dumps({**done, **figures}, indent=1, default=str), "utf-8")


@pytest.fixture(scope="session")
def national_run(tmp_path_factory):  # type: ignore[no-untyped-def]
    return national_study(tmp_path_factory.mktemp("national") / "study", COMMUNITIES, WAVES)


@pytest.fixture(scope="session")
def national(national_run):  # type: ignore[no-untyped-def]
    from trustsurvey.publish.bundle import read_bundle

    return read_bundle(national_run.outputs["bundle"])


@pytest.fixture(scope="module")
def gathered(national) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = walk_dashboard(national)
    record(
        walk_seconds=round(time.perf_counter() - start, 1),
        walk_requests=out["requests"],
        walk_views={lang: len(seen["answers"]) for lang, seen in out["by_lang"].items()},
        walk_downloads={lang: len(seen["downloads"]) for lang, seen in out["by_lang"].items()},
    )
    return out


def test_the_study_has_its_communities_and_hidden_cells(national) -> None:  # type: ignore[no-untyped-def]
    ss = national.tables["sample_sizes"]
    assert ss["community"].nunique() - 1 == COMMUNITIES
    hidden = {
        k for k, df in national.tables.items() if "suppressed" in df and df["suppressed"].any()
    }
    assert hidden, "nothing is suppressed: the attack would test nothing"
    assert national.policy.suppression_method == "optimal"


def test_the_intruder_walked_every_filter_value_of_every_page(gathered, national) -> None:  # type: ignore[no-untyped-def]
    offered = gathered["pages"]
    groups = set(offered["overview-groups"])
    communities = set(national.tables["sample_sizes"]["community"]) - {"all"}
    assert {f"com:{c}" for c in communities} <= groups  # every community is a filter value
    walked = {page for page, _ in gathered["answers"]}
    assert {"overview", "indicators", "groups", "communities", "problems", "programme"} <= walked
    per_group = [k for k in gathered["answers"] if k[0] == "overview"]
    assert len(per_group) == len(offered["overview-outcome"]) * len(groups)
    assert len(gathered["by_lang"]) == 2 and check_languages_agree(gathered) > 0
    assert len(gathered["downloads"]) >= len(gathered["answers"]) // 2


def test_no_suppressed_row_shows_a_number(gathered) -> None:  # type: ignore[no-untyped-def]
    for lang, seen in gathered["by_lang"].items():
        assert blank_suppressed_rows(seen, lang) > 0, lang  # the intruder met suppressed cells


def test_every_count_shown_or_downloaded_is_published_in_the_bundle(gathered, national) -> None:  # type: ignore[no-untyped-def]
    """What the dashboard shows adds nothing to the bundle: each whole number on any page or
    in any download, in either language, is a published count, weighted count or key of the
    bundle, or a figure of its manifest (cells suppressed per table, policy), so the attacks
    on the bundle's numbers are attacks on the union."""
    checked = _counts_published(national, gathered["by_lang"].values())
    assert checked > 1000
    record(walk_counts_checked=checked)


def _counts_published(bundle: Any, views: Any) -> int:
    """Check that every whole number of the ``views`` (walked pages and downloads) is a
    number of ``bundle`` (tables or manifest); return how many were checked."""
    published: set[float] = set(_numbers_in(bundle.manifest))
    for df in bundle.tables.values():
        for col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce").dropna().to_numpy(dtype=float)
            published.update(np.round(values, 6).tolist())
    checked = 0
    for seen in views:
        for df in shown_frames(seen):
            for col in df.columns:
                values = pd.to_numeric(df[col], errors="coerce").dropna().to_numpy(dtype=float)
                counts = values[(values == np.round(values)) & (values >= 1)]
                unknown = {v for v in np.round(counts, 6).tolist() if v not in published}
                assert not unknown, (col, sorted(unknown)[:5])
                checked += len(counts)
    return checked


def _numbers_in(node: Any) -> list[float]:
    """Every number in a JSON tree."""
    if isinstance(node, dict):
        return [x for v in node.values() for x in _numbers_in(v)]
    if isinstance(node, list):
        return [x for v in node for x in _numbers_in(v)]
    ok = isinstance(node, int | float) and not isinstance(node, bool)
    return [round(float(node), 6)] if ok else []


def test_exact_lp_attack_on_everything_published_recovers_no_cell(national) -> None:  # type: ignore[no-untyped-def]
    """Every declared relation of every table (margins, answers within sample sizes, months
    within periods, ...), solved exactly for every hidden cell."""
    start = time.perf_counter()
    bounds = attack_releases([national])
    record(**_figures("union", bounds, start))
    assert len(bounds) > 100 and set(bounds["table"]) >= {"appeals", "appeals_monthly"}
    exposed = bounds[bounds["exposed"]]
    assert exposed.empty, exposed.to_string()


def test_lp_attack_on_the_hotline_counts_and_monthly_series_fails(national) -> None:  # type: ignore[no-untyped-def]
    policy = national.policy
    bounds = attack_appeals(national)
    assert len(bounds) > 0
    need = min(policy.protection_interval, policy.min_records - 1)
    exposed = bounds[bounds["upper"] - bounds["lower"] < need - 1e-9]
    assert exposed.empty, exposed.to_string()


def test_the_exact_audit_finds_no_recoverable_cell(national) -> None:  # type: ignore[no-untyped-def]
    from trustsurvey.publish.audit import audit_bundle

    start = time.perf_counter()
    result = audit_bundle(national.path)  # raises when a cell is exposed
    record(audit_seconds=round(time.perf_counter() - start, 1), audit_cells=len(result))
    assert len(result) > 0 and not result["exposed"].any()


def _figures(name: str, bounds: pd.DataFrame, start: float) -> dict[str, Any]:
    """Seconds, cells attacked, cells solved by their own programmes, cells recovered."""
    small = bounds["reason"] == "small_cell"
    return {
        f"{name}_seconds": round(time.perf_counter() - start, 1),
        f"{name}_cells": len(bounds),
        f"{name}_small_cells": int(small.sum()),
        f"{name}_solved": int(bounds["solved"].sum()),
        f"{name}_recovered": int(bounds["exposed"].sum()),
        f"{name}_small_recovered": int((bounds["exposed"] & small).sum()),
    }


# --- a second release: late interviews, published with and without the first one -------


@pytest.fixture(scope="module")
def releases(national_run, national, tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from trustsurvey.publish.bundle import read_bundle

    root = tmp_path_factory.mktemp("releases")
    released = root / "released" / "bundle"  # the first release, as it was published
    shutil.copytree(national.path, released)
    policy = national.policy
    add = late_interviews(national_run, policy.min_cell, int(policy.protection_interval) - 1)
    update = with_late_interviews(national_run, root / "update", add, previous=released)
    run2 = run_bundle_steps(update)
    forgot = republish_without_previous(run2, root / "forgot")
    return {
        "add": add,
        "growth": true_growth(national_run, run2),
        "first": read_bundle(released),
        "update": read_bundle(run2.outputs["bundle"]),
        "forgot": read_bundle(forgot),
        "run": national_run,
    }


def test_the_update_adds_interviews_that_lift_a_small_sample_to_the_threshold(releases) -> None:  # type: ignore[no-untyped-def]
    grew = releases["growth"][releases["growth"] != 0].to_dict()
    assert grew == releases["add"]  # every late interview was kept by the cleaning
    ss = releases["forgot"].tables["sample_sizes"]
    old = releases["first"].tables["sample_sizes"]
    lifted = old["suppression_reason"].eq("small_cell") & ~ss["suppressed"].to_numpy()
    assert lifted.any()  # written without the first release, the update publishes it


def test_an_intruder_with_both_releases_recovers_no_small_cell(releases) -> None:  # type: ignore[no-untyped-def]
    """Both releases, every relation of each, and what an update that adds interviews
    allows (a count grows by at most what its community-wave's sample grew)."""
    start = time.perf_counter()
    bounds = attack_releases([releases["first"], releases["update"]])
    record(**_figures("two_releases", bounds, start), late_interviews=str(releases["add"]))
    assert (bounds["release"] == 1).any() and len(bounds) > 100
    exposed = bounds[bounds["exposed"]]
    assert exposed.empty, exposed.to_string()
    reasons = releases["update"].tables["sample_sizes"]["suppression_reason"]
    assert reasons.eq("previous_release").any()  # the lifted sample stays hidden, unlabelled


def test_the_update_dashboard_shows_only_numbers_of_its_bundle(releases) -> None:  # type: ignore[no-untyped-def]
    """The second release's dashboard (every filter combination, every download) adds
    nothing to its bundle either, so the joint attack on the two bundles covers both
    dashboards; its suppressed rows are blank, the carried-over ones too."""
    update = releases["update"]
    walked = walk_dashboard(update, langs=("en",))
    assert _counts_published(update, walked["by_lang"].values()) > 1000
    assert blank_suppressed_rows(walked, "en") > 0
    record(update_walk_requests=walked["requests"])


def test_without_previous_bundle_the_same_update_gives_old_small_cells_back(releases) -> None:  # type: ignore[no-untyped-def]
    """The negative control: the attack does find the leak, and what it finds is true."""
    start = time.perf_counter()
    bounds = attack_releases([releases["first"], releases["forgot"]])
    record(**_figures("without_previous", bounds, start))
    exposed = bounds[bounds["exposed"] & (bounds["reason"] == "small_cell")]
    assert len(exposed) > 0
    run = releases["run"]
    com = run.study.arms.community
    sizes = run.analysis.groupby([run.analysis[com].astype(str), "wave"]).size()
    ss = releases["first"].tables["sample_sizes"]
    pinned = exposed[(exposed["table"] == "sample_sizes") & (exposed["release"] == 0)]
    assert len(pinned) > 0
    for r in pinned.itertuples():
        row = ss.iloc[r.row]
        truth = sizes[(str(row["community"]), int(row["wave"]))]
        assert r.lower - 1e-6 <= truth <= r.upper + 1e-6, (row.to_dict(), r)
        assert r.upper - r.lower < r.required

"""A many-community study written by the real pipeline (``trustsurvey example --communities
N --waves 2`` and ``trustsurvey run``), built once per session, attacked over HTTP and from
its bundle. The suite runs it at 24 communities; ``benchmarks/privacy_national.py`` runs the
same tests at 100 (``TRUSTSURVEY_PRIVACY_COMMUNITIES``).

The intruder downloads every view of the communities page (each outcome and wave) and of the
Programme page as CSV, checks that no suppressed row shows a number and that every number it
got is one the bundle publishes (so what the bundle's attack bounds covers the downloads),
and runs its own linear programmes on the hotline counts and their monthly series
(:func:`test_privacy_declared.attack`). The exact audit's verdict on the whole bundle is
checked too. The full intruder of :mod:`test_privacy_example_study` (every filter
combination of every page) at this size is ``benchmarks/`` work.
"""

from __future__ import annotations

import base64
import itertools
import logging
import os
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest_privacy import Intruder, csv_tables, serve
from test_privacy_declared import attack as attack_appeals
from test_privacy_differencing import LANG, blank_suppressed_rows, shown_tables

logging.getLogger("werkzeug").setLevel(logging.ERROR)

COMMUNITIES = int(os.environ.get("TRUSTSURVEY_PRIVACY_COMMUNITIES", "24"))
WAVES = 2
STEPS = ("read", "validate", "clean", "indices", "weight", "programme", "analysis", "publish")


@pytest.fixture(scope="session")
def national(tmp_path_factory):  # type: ignore[no-untyped-def]
    from trustsurvey.example import generate_example
    from trustsurvey.publish.bundle import read_bundle
    from trustsurvey.run.pipeline import STEPS as ALL_STEPS
    from trustsurvey.run.pipeline import run_study

    folder = generate_example(
        tmp_path_factory.mktemp("national") / "study",
        communities=COMMUNITIES,
        waves=WAVES,
        progress=False,
    )
    run = run_study(folder, steps=[s for s in ALL_STEPS if s.name in STEPS], echo=lambda s: None)
    return read_bundle(run.outputs["bundle"])


@pytest.fixture(scope="module")
def gathered(national) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from trustsurvey.dashboard.app import create_app

    with serve(create_app(national)) as base:
        it = Intruder(base)
        assert it.get("/").status_code == 200
        answers: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
        o = it.options("/communities", LANG)
        for combo in itertools.product(o["communities-outcome"], o["communities-wave"]):
            answers[("communities", combo)] = it.update("communities-outcome", list(combo), LANG)
        for view in it.options("/programme", LANG)["programme-view"]:
            answers[("programme", (view,))] = it.update("programme-view", [view], LANG)
        downloads: list[tuple[str, pd.DataFrame]] = []
        for (page, _combo), resp in answers.items():
            tables = shown_tables(resp)
            if not tables:
                continue
            r = it.download(page, {"tables": tables}, "csv")
            assert r.status_code == 200, (page, r.text[:300])
            raw = base64.b64decode(next(iter(r.json()["response"].values()))["data"]["content"])
            downloads += [(page, df) for df in csv_tables(raw, len(tables) > 1)]
    return {"answers": answers, "downloads": downloads}


def test_the_study_has_its_communities_and_hidden_cells(national) -> None:  # type: ignore[no-untyped-def]
    ss = national.tables["sample_sizes"]
    assert ss["community"].nunique() - 1 == COMMUNITIES
    hidden = {
        k for k, df in national.tables.items() if "suppressed" in df and df["suppressed"].any()
    }
    assert hidden, "nothing is suppressed: the attack would test nothing"
    assert national.policy.suppression_method == "optimal"


def test_downloads_show_no_number_for_a_suppressed_row(gathered) -> None:  # type: ignore[no-untyped-def]
    assert len(gathered["downloads"]) >= 2 * WAVES
    assert blank_suppressed_rows(gathered) > 0  # the intruder met suppressed cells


def test_every_downloaded_count_is_published_in_the_bundle(gathered, national) -> None:  # type: ignore[no-untyped-def]
    """What the downloads show adds nothing to the bundle: each whole number in them is a
    published count, weighted count or key of the bundle (so the attacks on the bundle cover
    them)."""
    published: set[float] = set()
    for df in national.tables.values():
        for col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce").dropna().to_numpy(dtype=float)
            published.update(np.round(values, 6).tolist())
    for page, df in gathered["downloads"]:
        for col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce").dropna().to_numpy(dtype=float)
            counts = values[(values == np.round(values)) & (values >= 1)]
            unknown = {v for v in np.round(counts, 6).tolist() if v not in published}
            assert not unknown, (page, col, sorted(unknown)[:5])


def test_lp_attack_on_the_hotline_counts_and_monthly_series_fails(national) -> None:  # type: ignore[no-untyped-def]
    policy = national.policy
    bounds = attack_appeals(national)
    assert len(bounds) > 0
    need = min(policy.protection_interval, policy.min_records - 1)
    exposed = bounds[bounds["upper"] - bounds["lower"] < need - 1e-9]
    assert exposed.empty, exposed.to_string()


def test_the_exact_audit_finds_no_recoverable_cell(national) -> None:  # type: ignore[no-untyped-def]
    from trustsurvey.publish.audit import audit_bundle

    result = audit_bundle(national.path)  # raises when a cell is exposed
    assert len(result) > 0 and not result["exposed"].any()

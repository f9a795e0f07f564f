"""The Communities view: model-based estimates beside suppressed or unreliable ones only."""

from __future__ import annotations

import pandas as pd
import pytest

from trustsurvey.dashboard import views
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.fixture import demo_bundle
from trustsurvey.publish.schema import ALL


def _with_model(bundle: Bundle, outcome: str, wave: int) -> Bundle:
    est = bundle.tables["estimates"]
    rows = est[(est["community"] != ALL) & (est["subgroup"] == ALL) & (est["outcome"] == outcome)]
    rows = rows[rows["wave"] == wave].drop_duplicates("community")
    model = pd.DataFrame(
        {
            "outcome": outcome,
            "community": rows["community"].to_numpy(),
            "wave": wave,
            "method": "fay_herriot",
            "basis": "synthetic",
            "estimate": 2.5,
            "rmse": 0.1,
            "ci_low": 2.3,
            "ci_high": 2.7,
            "gamma": 0.0,
        }
    )
    return Bundle(bundle.path, bundle.manifest, {**bundle.tables, "small_area": model})


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_suppressed_communities_get_the_model_estimate(lang: str) -> None:
    bundle = _with_model(demo_bundle(), "trust_police", 2)
    fig, table = views.communities_view(bundle, "trust_police", 2, lang)
    est = bundle.tables["estimates"]
    rows = est[(est["community"] != ALL) & (est["subgroup"] == ALL)]
    rows = rows[(rows["outcome"] == "trust_police") & (rows["wave"] == 2)]
    hidden = {
        views.label(bundle, "community", c, lang) for c in rows[rows["suppressed"]]["community"]
    }
    assert hidden  # the demo hides one community's estimate in wave 2
    col = t("col.model_estimate", lang)
    shown = table.set_index(t("col.community", lang))[col]
    assert set(shown.dropna().index) == hidden
    assert (shown.dropna() == 2.5).all()
    names = [tr.get("name") for tr in fig["data"]]
    assert t("label.model_based", lang) in names


def test_without_weak_communities_the_table_is_unchanged() -> None:
    bundle = _with_model(demo_bundle(), "trust_police", 1)
    _, with_model = views.communities_view(bundle, "trust_police", 1, "en")
    _, plain = views.communities_view(demo_bundle(), "trust_police", 1, "en")
    pd.testing.assert_frame_equal(with_model, plain)

"""The overview of a bundle made by the real pipeline says, in both languages, where each
outcome lies whatever the non-answerers think: one sentence per outcome with published
non-response bounds, naming the outcome by its own label, with the bounds of the bundle."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402
from test_dashboard_real import LANGS, SHAPES, _open  # noqa: E402

from trustsurvey.dashboard import views  # noqa: E402
from trustsurvey.dashboard.nonresponse import overall_rows  # noqa: E402
from trustsurvey.dashboard.numbers import fmt_number  # noqa: E402
from trustsurvey.dashboard.translations import t  # noqa: E402

PHRASE = {
    "uk": "лежить між {lo} і {hi}, хоч би що думали ті, хто не відповів",
    "en": "lies between {lo} and {hi} whatever the non-answerers think",
}


@pytest.fixture(scope="module", params=SHAPES)
def study(request, served_study):
    return served_study(request.param)


@pytest.mark.parametrize("lang", LANGS)
def test_overview_says_where_each_outcome_lies_whatever_the_non_answerers_think(
    study, chromium, ui, lang
):
    bundle, base, _ = study
    rows = overall_rows(bundle)
    _open(ui, base, "overview", lang)
    sentences = [
        e.text for e in chromium.find_elements(By.CSS_SELECTOR, "#nonresponse-bounds .ts-bounds")
    ]
    if rows.empty:
        assert not chromium.find_elements(By.ID, "nonresponse-bounds")
        return
    assert bundle.study != "chuhuiv_example" or len(rows) >= 2  # the example has refusals
    for row in rows.to_dict("records"):
        label = views.label(bundle, "outcome", row["outcome"], lang)
        scale = views.scale_of(bundle, row["outcome"]) or {}
        k, digits = (100.0, 0) if scale.get("binary") else (1.0, 2)
        lo, hi = (fmt_number(row[c] * k, lang, digits) for c in ("lower", "upper"))
        if scale.get("binary"):
            lo, hi = (t("unit.percent", lang, x=v) for v in (lo, hi))
        want = PHRASE[lang].format(lo=lo, hi=hi)
        hits = [s for s in sentences if label in s and want in s]
        assert hits, (label, want, sentences)
        assert row["outcome"] not in hits[0] or row["outcome"] in label  # no raw code

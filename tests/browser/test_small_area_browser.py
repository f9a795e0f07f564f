"""The Communities page of a bundle made by the real pipeline shows the small-area estimate
of communities whose direct estimate is unreliable or suppressed, labelled as model-based,
with its interval, in both languages; a study without area covariates shows none."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402

from trustsurvey.dashboard import views  # noqa: E402
from trustsurvey.dashboard.config import PATHS  # noqa: E402
from trustsurvey.dashboard.translations import t  # noqa: E402
from trustsurvey.publish.schema import ALL  # noqa: E402


def _open(ui, base: str, lang: str) -> None:
    ui.open(base + PATHS["communities"], lang, ready="#communities-graph .main-svg")


def _choose(ui, outcome: str, wave: int) -> None:
    ui.pick("communities-outcome", outcome)
    ui.settle()
    ui.driver.find_element(By.CSS_SELECTOR, f"#communities-wave input[value='{wave}']").click()
    ui.settle()


def _number(text: str, lang: str) -> float:
    """A shown number back to a float (Ukrainian: decimal comma, narrow-space thousands)."""
    text = text.replace("\u2212", "-")
    if lang == "uk":
        return float(text.replace("\u202f", "").replace(",", "."))
    return float(text.replace(",", ""))


def _weak_case(bundle) -> tuple[str, int, str, dict]:
    """An (outcome, wave, community) whose direct estimate is weak and has a model row."""
    est = bundle.tables["estimates"]
    for (outcome, wave), part in est[est["subgroup"] == ALL].groupby(["outcome", "wave"]):
        sel = part[part["community"] != ALL]
        rows = views.small_area_rows(bundle, outcome, int(wave), views.scaled(bundle, outcome, sel))
        if rows:
            com, row = next(iter(rows.items()))
            return str(outcome), int(wave), com, row
    raise AssertionError("the example bundle has no weak community with a model estimate")


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_weak_communities_show_the_model_based_estimate(served_study, chromium, ui, lang):
    bundle, base, _ = served_study("example")
    assert "small_area" in bundle.tables  # the example ships area covariates
    outcome, wave, com, row = _weak_case(bundle)
    _open(ui, base, lang)
    _choose(ui, outcome, wave)
    col = t("col.model_estimate", lang)
    ui.until(lambda d: col in ui.table("communities-tbl").columns)
    table = ui.table("communities-tbl").set_index(t("col.community", lang))
    name = bundle.label("community", com, lang)
    for key, column in (("estimate", col), ("ci_low", t("col.model_ci_low", lang)),
                        ("ci_high", t("col.model_ci_high", lang))):  # fmt: skip
        assert _number(table.at[name, column], lang) == pytest.approx(row[key], abs=1e-3)
    others = table.drop(index=name)
    assert (others[col] == "").sum() >= 1  # reliable communities keep their direct figure
    legend = chromium.execute_script(
        "return [...document.querySelectorAll('#communities-graph .legendtext')]"
        ".map(e => e.textContent)"
    )
    assert t("label.model_based", lang) in legend
    page = chromium.find_element(By.ID, "page").text
    assert t("label.model_note", lang).split("(")[0].strip() in page


def test_a_study_without_area_covariates_shows_no_model_column(served_study, chromium, ui):
    bundle, base, _ = served_study("renamed")
    assert "small_area" not in bundle.tables
    _open(ui, base, "en")
    assert t("col.model_estimate", "en") not in ui.table("communities-tbl").columns
    assert (
        t("label.model_note", "en").split("(")[0].strip()
        not in chromium.find_element(By.ID, "page").text
    )

"""The Communities page of a bundle made by the real pipeline shows the small-area estimate
of communities whose direct estimate is unreliable or suppressed, labelled as model-based,
with its interval, in both languages; a study without area covariates shows none."""

from __future__ import annotations

import time

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from trustsurvey.dashboard import views  # noqa: E402
from trustsurvey.dashboard.config import PATHS  # noqa: E402
from trustsurvey.dashboard.translations import t  # noqa: E402
from trustsurvey.publish.bundle import read_bundle  # noqa: E402
from trustsurvey.publish.schema import ALL  # noqa: E402

WAIT = 20


def _settle(driver) -> None:
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=true]').length === 0"
        )
    )
    time.sleep(0.3)


def _open(driver, base: str, lang: str) -> None:
    driver.get(base + PATHS["communities"])
    WebDriverWait(driver, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#communities-graph .main-svg"))
    )
    current = driver.execute_script(
        "return document.querySelector('#lang-switch input:checked').value"
    )
    if current != lang:
        driver.find_element(By.CSS_SELECTOR, f"#lang-switch input[value='{lang}']").click()
        WebDriverWait(driver, WAIT).until(
            lambda d: d.execute_script("return document.documentElement.lang") == lang
        )
    _settle(driver)


def _choose(driver, outcome: str, wave: int) -> None:
    driver.find_element(By.ID, "communities-outcome").click()  # a Dash 4 dropdown
    option = f"label.dash-dropdown-option:has(input[value='{outcome}'])"
    WebDriverWait(driver, WAIT).until(ec.element_to_be_clickable((By.CSS_SELECTOR, option))).click()
    _settle(driver)
    driver.find_element(By.CSS_SELECTOR, f"#communities-wave input[value='{wave}']").click()
    _settle(driver)


def _table(driver) -> pd.DataFrame:
    table = driver.find_element(By.ID, "communities-tbl")
    head = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    return pd.DataFrame(rows, columns=head)


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
def test_weak_communities_show_the_model_based_estimate(study_bundle, serve, chromium, lang):
    path = study_bundle("example")
    bundle = read_bundle(path)
    assert "small_area" in bundle.tables  # the example ships area covariates
    outcome, wave, com, row = _weak_case(bundle)
    _open(chromium, serve(path), lang)
    _choose(chromium, outcome, wave)
    col = t("col.model_estimate", lang)
    WebDriverWait(chromium, WAIT).until(lambda d: col in _table(d).columns)
    table = _table(chromium).set_index(t("col.community", lang))
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


def test_a_study_without_area_covariates_shows_no_model_column(study_bundle, serve, chromium):
    path = study_bundle("renamed")
    bundle = read_bundle(path)
    assert "small_area" not in bundle.tables
    _open(chromium, serve(path), "en")
    assert t("col.model_estimate", "en") not in _table(chromium).columns
    assert (
        t("label.model_note", "en").split("(")[0].strip()
        not in chromium.find_element(By.ID, "page").text
    )

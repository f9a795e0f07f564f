"""The dashboard of a bundle made by the real pipeline (``trustsurvey example`` + ``run``),
in headless Chromium, every page in both languages: labels per variable from the
questionnaire, no raw code or identifier, the headline sentence, no overlapping text at
390 px and 1400 px, no serious or critical axe-core violation, downloads per language."""

from __future__ import annotations

import re

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402

from trustsurvey.dashboard import views  # noqa: E402
from trustsurvey.dashboard.config import PATHS, DashboardConfig  # noqa: E402
from trustsurvey.publish.schema import ALL  # noqa: E402

LANGS = ("uk", "en")
PAGES = [p for p in DashboardConfig().pages if p in PATHS]
#: Latin words a Ukrainian page may show: file formats, statistical symbols
LATIN_OK = {"CSV", "XLSX", "English", "n", "p"}  # "English": the language switch

TEXT_JS = """
const parts = [document.body.innerText];
document.querySelectorAll('svg text').forEach(t => parts.push(t.textContent));
return parts.join('\\n');
"""

OVERLAP_JS = """
const boxes = [];
function visible(r, el) {  // the part of r not clipped away by an ancestor's overflow
  let [x0, y0, x1, y1] = [r.left, r.top, r.right, r.bottom];
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
      const c = a.getBoundingClientRect();
      x0 = Math.max(x0, c.left); y0 = Math.max(y0, c.top);
      x1 = Math.min(x1, c.right); y1 = Math.min(y1, c.bottom);
    }
  }
  return x1 - x0 > 1 && y1 - y0 > 1 ? new DOMRect(x0, y0, x1 - x0, y1 - y0) : null;
}
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode, el = node.parentElement;
  if (!node.textContent.trim() || !el || el.closest('.modebar-container, script, style')) continue;
  if (el.closest('svg')) continue;
  const s = getComputedStyle(el);
  if (s.visibility === 'hidden' || s.display === 'none') continue;
  const range = document.createRange(); range.selectNodeContents(node);
  for (const r of range.getClientRects()) {
    const v = r.width > 0 && r.height > 0 ? visible(r, el) : null;
    if (v) boxes.push([v, node.textContent.trim(), node]);
  }
}
document.querySelectorAll('.main-svg text').forEach(t => {
  if (!t.textContent.trim() || t.closest('.modebar-container')) return;
  const r = t.getBoundingClientRect();
  if (r.width > 0 && r.height > 0) boxes.push([r, t.textContent.trim(), t]);
});
const bad = [];
for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
  const [a, ta, na] = boxes[i], [b, tb, nb] = boxes[j];
  if (na === nb) continue;  // fragments of one text (lines, an ellipsis)
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  const at = r => `(${Math.round(r.left)},${Math.round(r.top)} `
    + `${Math.round(r.width)}x${Math.round(r.height)})`;
  if (w > 2 && h > 2) bad.push(ta.slice(0, 40) + at(a) + ' | ' + tb.slice(0, 40) + at(b));
}
return {bad: bad.slice(0, 10), width: document.documentElement.scrollWidth};
"""

#: the example study, and one shaped differently (a fieldwork firm's files, its own names)
SHAPES = ["example", "renamed"]


@pytest.fixture(scope="module", params=SHAPES)
def example(request, served_study):
    return served_study(request.param)


def _open(ui, base: str, page: str, lang: str) -> None:
    """Open ``page`` in ``lang`` once its heading (or text) and its charts are there."""
    charts = None if page == "methodology" else "#page .main-svg"
    ui.open(base + PATHS[page], lang, ready="#page h2, #page p", drawn=charts)


def viewport(driver, width: int) -> None:
    """A viewport exactly ``width`` CSS pixels wide (a window cannot be narrower than 500)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _identifiers(bundle) -> set[str]:
    """Codes of the bundle a person must never read: outcome and breakdown variable names,
    community codes and every code written with ``_`` or ``-`` (not numeric ranges)."""
    out: set[str] = set()
    for df in bundle.tables.values():
        for col in ("outcome", "subgroup", "community", "check", "statistic", "comparison"):
            if col in df.columns:
                out |= {str(v) for v in df[col].dropna().unique()}
        for col in ("problem", "theme", "type", "category", "period"):
            if col in df.columns:
                out |= {str(v) for v in df[col].dropna().unique() if re.search(r"[_-]", str(v))}
    out |= {k for k in bundle.tables if "_" in k}  # table kinds that are not plain words
    return {
        v for v in out if v != ALL and re.search(r"[a-z]", v) and not re.fullmatch(r"[\d+-]+", v)
    }


def _label_texts(labels, lang: str) -> list[str]:
    if isinstance(labels, dict):
        if lang in labels and isinstance(labels[lang], str):
            return [labels[lang]]
        return [t for v in labels.values() for t in _label_texts(v, lang)]
    return []


def _page_text(driver) -> str:
    return driver.execute_script(TEXT_JS)


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_shows_labels_not_codes(example, chromium, ui, lang):
    bundle, base, _ = example
    idents = _identifiers(bundle)
    assert len(idents) > 20  # the check has teeth: outcome, breakdown and community codes
    # a code that is also a word of a label ("settlement" in "Type of settlement") is text
    words = set(re.findall(r"[\w-]+", " ".join(_label_texts(bundle.labels, lang))))
    idents -= words
    coms = bundle.tables["estimates"]["community"].unique()
    unnamed = {views.humanise(c) for c in coms if bundle.label("community", c, lang) == str(c)}
    for page in PAGES:
        _open(ui, base, page, lang)
        text = _page_text(chromium)
        found = sorted(i for i in idents if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))
        assert found == [], f"{page} ({lang}) shows codes: {found}"
        if lang == "uk":  # a study that names no communities shows their codes as words
            latin = set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_OK - unnamed
            latin = sorted(latin)
            assert latin == [], f"{page} (uk) shows Latin words: {latin[:20]}"


@pytest.mark.parametrize("lang", LANGS)
def test_breakdowns_are_labelled_with_their_own_values(example, chromium, ui, lang):
    from trustsurvey.study import load_study

    _, base, folder = example
    q = load_study(folder).questionnaire
    _open(ui, base, "indicators", lang)
    values = chromium.execute_script(
        "return [...document.querySelectorAll('#groups-subgroup input')].map(i => i.value)"
    )
    assert len(values) >= 2
    for var in values:
        item = q.items[var]
        expected = {str(getattr(t, lang) or t.uk or t.en) for t in item.codes.values()}
        name = getattr(item.text, lang) or item.text.uk
        chromium.find_element(By.CSS_SELECTOR, f"#groups-subgroup input[value='{var}']").click()
        ui.until(
            lambda d, n=name: (
                d.execute_script(
                    "const t = document.querySelector('#groups-graph .g-xtitle text');"
                    "return t && t.textContent;"
                )
                == n
            )
        )
        ui.settle()
        ticks = set(
            chromium.execute_script(
                "return [...document.querySelectorAll('#groups-graph .xtick text')]"
                ".map(t => t.textContent)"
            )
        )
        assert ticks and ticks <= expected, (var, ticks, expected)
        label = chromium.find_element(By.CSS_SELECTOR, f"#groups-subgroup input[value='{var}']")
        assert label.find_element(By.XPATH, "ancestor::label").text == name


@pytest.mark.parametrize("lang", LANGS)
def test_overview_states_the_findings_in_words(example, chromium, ui, lang):
    bundle, base, _ = example
    _open(ui, base, "overview", lang)
    headline = chromium.find_element(By.ID, "did-estimate").text
    if lang == "uk":
        assert re.search(r"бала за шкалою \d–\d|відсоткового пункту", headline)
        assert re.search(r"95% ДІ: від [+−]?\d+,\d\d? до", headline)
    else:
        assert re.search(r"points on the \d–\d scale|percentage points", headline)
        assert re.search(r"95% CI [+−]?\d+\.\d\d? to", headline)
    sig = chromium.find_elements(By.CSS_SELECTOR, "#findings .ts-finding.ts-sig")
    ns = chromium.find_elements(By.CSS_SELECTOR, "#findings .ts-finding.ts-ns")
    did = bundle.tables["did"]
    assert len(sig) + len(ns) == did["outcome"].nunique()
    if bundle.study == "chuhuiv_example":
        assert sig and ns  # the example study has both kinds
    style = "return getComputedStyle(arguments[0]).borderLeftStyle"
    assert chromium.execute_script(style, sig[0]) != chromium.execute_script(style, ns[0])
    y = chromium.execute_script(
        "const g = document.querySelector('#overview-graph .js-plotly-plot');"
        "return g._fullLayout.yaxis.range;"
    )
    first = views.outcome_options(bundle, lang)[0]["value"]  # the overview opens on it
    scale = views.scale_of(bundle, first)
    assert scale and y[0] == (0 if scale["binary"] else scale["min"])


@pytest.mark.parametrize("width", [390, 1400])
@pytest.mark.parametrize("lang", LANGS)
def test_no_overlapping_text(example, chromium, ui, lang, width):
    _, base, _ = example
    viewport(chromium, width)
    try:
        for page in PAGES:
            _open(ui, base, page, lang)
            got = chromium.execute_script(OVERLAP_JS)
            assert got["bad"] == [], f"{page} ({lang}, {width} px): {got['bad']}"
            assert got["width"] <= width + 1, f"{page} ({lang}) scrolls sideways at {width} px"
    finally:
        chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_serious_violation(example, ui, lang):
    _, base, _ = example
    for page in PAGES:
        _open(ui, base, page, lang)
        found = ui.axe()
        assert found == [], f"{page} ({lang}): {found}"


@pytest.mark.parametrize("lang", LANGS)
def test_downloads_are_named_and_formatted_per_language(example, ui, lang):
    bundle, base, _ = example
    _open(ui, base, "communities", lang)
    name = f"{bundle.study}-communities-{lang}.csv"
    path = ui.download("button[id*='dl-csv'][id*='communities']", name)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    sep, dec = (";", ",") if lang == "uk" else (",", ".")
    df = pd.read_csv(path, sep=sep, decimal=dec, encoding="utf-8-sig")
    est = "Оцінка" if lang == "uk" else "Estimate"
    assert df[est].dropna().between(0, 100).all() and len(df.columns) > 3


@pytest.mark.parametrize("lang", LANGS)
def test_run_writes_the_one_page_summaries(example, lang):
    pdfium = pytest.importorskip("pypdfium2")
    from trustsurvey.dashboard.findings import outcome_findings

    bundle, _, folder = example
    path = folder / "out" / f"summary_{lang}.pdf"
    doc = pdfium.PdfDocument(str(path))
    assert len(doc) == 1
    page = doc[0]
    text = " ".join(page.get_textpage().get_text_range().split())
    for f in outcome_findings(bundle, lang)[:3]:
        assert " ".join(f["sentence"].split()[:6]) in text
    image = page.render(scale=100 / 72).to_pil().convert("L")
    assert image.size[0] > 700 and image.getextrema()[0] < 80  # an A4 page with ink on it

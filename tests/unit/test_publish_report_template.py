"""report.html from its jinja2 template: autoescaped labels (script, bidi, control characters,
long labels), the template installed as package data, the same content as the dashboard."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from trustsurvey.publish.bundle import write_bundle
from trustsurvey.publish.fixture import synthetic_meta, synthetic_tables
from trustsurvey.publish.report import _template, render_report, write_report

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
LONG = "Довіра " + "дуже " * 400


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    meta = synthetic_meta()
    meta["labels"] = json.loads(json.dumps(meta["labels"]))
    meta["labels"]["community"]["bucha"] = {"uk": SCRIPT, "en": "Bu\u202echa\x07 & co"}
    meta["labels"]["outcome"]["trust_police"] = {"uk": LONG, "en": IMG}
    meta["title"] = {"uk": "</title><script>alert(2)</script>", "en": "T"}
    folder = tmp_path_factory.mktemp("hostile")
    path = write_bundle(synthetic_tables(), folder / "bundle", study_meta=meta)
    html_path, _ = write_report(path, folder / "report")
    return html_path.read_text(encoding="utf-8")


PLOTLY_SCRIPT = re.compile(
    r"<script>\s*(?:window\.PlotlyConfig|/\*\*\n\* plotly\.js|window\.PLOTLYENV)(.*?)</script>",
    re.S,
)


def _outside_figures(text: str) -> str:
    """The page without Plotly.js and the figures' scripts (their labels are escaped by
    ``views.esc`` and JSON-encoded by Plotly, which writes "<\\/": no label ends a script)."""
    return PLOTLY_SCRIPT.sub("", text)


def test_hostile_labels_are_text_in_the_report(hostile):
    page = _outside_figures(hostile)
    assert "<script" not in page and "<img" not in page  # no markup from a label
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;</title>" in page
    assert "Bucha &amp; co" in page  # bidi override and BEL removed, "&" escaped
    assert not re.search(r"[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f]", page)
    longest = max(len(m) for m in re.findall(r"Довіра (?:дуже ?)+", page))
    assert longest < len(LONG)  # long labels are capped, as everywhere
    blocks = [m.group(0) for m in PLOTLY_SCRIPT.finditer(hostile)]
    figures = [f for f in blocks if re.match(r"<script>\s*window\.PLOTLYENV", f)]
    assert figures and not any("</" in f[:-9] for f in figures)  # no label ends a script
    assert not any("\\u202e" in f.lower() for f in figures)  # no bidi override in a figure
    assert hostile.rstrip().endswith("</html>")


def test_the_page_keeps_its_sections_in_both_languages(hostile):
    page = _outside_figures(hostile)
    assert page.count('<section id="uk" lang="uk">') == 1
    assert page.count('<section id="en" lang="en">') == 1
    assert hostile.count("Plotly.newPlot") >= 4
    assert hostile.count("plotly.js v") == 1  # Plotly.js embedded once, with the first figure
    assert "fewer than 30 respondents" in page and "менше ніж 30 респондентів" in page
    assert page.count("<table>") == page.count("</table>") > 4


def test_the_template_is_package_data_rendered_with_autoescape():
    files = resources.files("trustsurvey.publish") / "templates" / "report.html.j2"
    assert files.is_file()
    env = _template().environment
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(Exception, match="undefined"):  # a misspelt field is an error
        env.from_string("{{ nothing.here }}").render()


def test_render_is_the_written_report(tmp_path):
    from trustsurvey.publish.fixture import demo_bundle

    b = demo_bundle()
    html_path, _ = write_report(b, tmp_path)
    strip = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")  # figure ids
    assert strip.sub("", render_report(b)) == strip.sub("", html_path.read_text("utf-8"))

"""The one-page PDF summaries: written per language, one page, rendered to PNG, text present."""

from __future__ import annotations

import pytest

pdfium = pytest.importorskip("pypdfium2")

from trustsurvey.dashboard.findings import outcome_findings  # noqa: E402
from trustsurvey.dashboard.translations import t  # noqa: E402
from trustsurvey.publish.fixture import demo_bundle  # noqa: E402
from trustsurvey.publish.summary import write_summaries  # noqa: E402


def pdf_pages(path) -> list[tuple[str, object]]:
    """Text and a 100-dpi PNG-ready bitmap (PIL image) of each page."""
    doc = pdfium.PdfDocument(str(path))
    out = []
    for page in doc:
        text = page.get_textpage().get_text_range()
        out.append((text, page.render(scale=100 / 72).to_pil()))
    return out


def test_summaries_are_one_page_each_with_the_findings(tmp_path):
    b = demo_bundle()
    paths = write_summaries(b, tmp_path)
    assert [p.name for p in paths][:2] == ["summary_uk.pdf", "summary_en.pdf"]
    for path, lang in zip(paths[:2], ("uk", "en"), strict=True):
        pages = pdf_pages(path)
        assert len(pages) == 1
        text, image = pages[0]
        flat = " ".join(text.split())
        assert t("findings.title", lang) in flat
        first = outcome_findings(b, lang)[0]["sentence"]
        assert " ".join(first.split()[:6]) in flat
        image.save(tmp_path / f"{path.stem}.png")
        grey = image.convert("L")
        assert grey.getextrema()[0] < 80  # ink on the page, not a blank render
        assert (tmp_path / f"{path.stem}.png").stat().st_size > 10_000


def test_one_page_per_community_with_its_own_figures(tmp_path):
    from trustsurvey.dashboard import views
    from trustsurvey.publish.summary import communities_of

    b = demo_bundle()
    paths = write_summaries(b, tmp_path)
    communities = communities_of(b)
    assert len(communities) >= 2
    for lang in ("uk", "en"):
        path = tmp_path / f"summary_communities_{lang}.pdf"
        assert path in paths
        pages = pdf_pages(path)
        assert len(pages) == len(communities)  # one page each, in the bundle's order
        for community, (text, image) in zip(communities, pages, strict=True):
            flat = " ".join(text.split())
            name = views.label(b, "community", community, lang)
            assert flat.startswith(name) or name in flat[:200]
            assert t("label.all_communities", lang) in flat  # set against all communities
            assert t("summary.community_problems", lang) in flat
            assert image.convert("L").getextrema()[0] < 80

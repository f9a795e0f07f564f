"""A self-contained bilingual HTML report and an Excel workbook of a bundle's tables.

The HTML embeds Plotly.js once (no network needed to open it) and shows, in Ukrainian and in
English, the same figures and tables as the dashboard. The workbook holds every published
table with labels in both languages. Text cells that would start a spreadsheet formula are
neutralised (:mod:`trustsurvey.publish.safe`).

>>> import tempfile
>>> from pathlib import Path
>>> from trustsurvey.publish.fixture import demo_bundle
>>> html_path, xlsx_path = write_report(demo_bundle(), tempfile.mkdtemp())
>>> "<script" in html_path.read_text(encoding="utf-8"), xlsx_path.suffix
(True, '.xlsx')
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from trustsurvey._files import atomic_path
from trustsurvey.errors import PublishError
from trustsurvey.publish.bundle import Bundle, read_bundle
from trustsurvey.publish.safe import to_xlsx_bytes
from trustsurvey.publish.schema import ALL

LABELLED = ("outcome", "community", "arm", "problem", "theme", "subgroup", "level")


def write_report(bundle: Bundle | str | Path, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``tables.xlsx`` into ``out_dir`` (each whole or not at all:
    a failed write keeps the previous file); return their paths."""
    b = bundle if isinstance(bundle, Bundle) else read_bundle(bundle)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PublishError(
            f"cannot create the report folder ({err.strerror})", file=out, hint="check the path"
        ) from err
    page = render_report(b)
    html_path, xlsx_path = out / "report.html", out / "tables.xlsx"
    workbook = to_xlsx_bytes(workbook_tables(b))  # made before anything is replaced
    for path, data in ((html_path, page.encode("utf-8")), (xlsx_path, workbook)):
        try:
            with atomic_path(path, mkdir=False) as tmp:
                tmp.write_bytes(data)
        except OSError as err:
            raise PublishError(
                f"cannot write {path.name} ({err.strerror or err})",
                file=path,
                hint="free disk space, or check that the folder is writable and the path is "
                "not a folder; the previous report was kept",
            ) from err
    from trustsurvey.publish.summary import write_summaries

    write_summaries(b, out)  # the one-page summaries: summary_uk.pdf, summary_en.pdf
    return html_path, xlsx_path


def render_report(b: Bundle) -> str:
    """The report's HTML: ``templates/report.html.j2`` rendered with autoescape, so every
    label, sentence and cell is text; only the Plotly figures the report makes are markup."""
    languages = [_language(b, lang) for lang in ("uk", "en")]
    first = True
    for part in languages:  # Plotly.js is embedded once, before the first figure
        for section in part["sections"]:
            section["figure"] = _figure_html(section.pop("fig"), include_js=first)  # "| safe"
            first = False
    software = b.manifest.get("software") or {}
    return _template().render(
        title=_title(b, "uk"),
        languages=languages,
        created=str(b.manifest.get("created", "")),
        version=str(software.get("trustsurvey", "")),
    )


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trustsurvey.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("report.html.j2")


def _language(b: Bundle, lang: str) -> dict[str, Any]:
    """What the report says in ``lang``: findings, one section per figure, methodology."""
    from trustsurvey.dashboard import event_study, views
    from trustsurvey.dashboard.findings import outcome_findings
    from trustsurvey.dashboard.translations import policy_key, t

    outcomes = [o["value"] for o in views.outcome_options(b, lang)]
    groups = [o["value"] for o in views.group_options(b, lang) if o["value"].startswith("arm:")]
    waves = [o["value"] for o in views.wave_options(b, lang)]
    sections: list[tuple[str, Any, pd.DataFrame]] = []
    said: dict[int, list[dict[str, str]]] = {}  # sentences above a section's figure
    if event_study.has_event_study(b):  # a staggered roll-out: the effect over time
        for outcome in views.ordered_outcomes(b, event_study.TABLE):
            said[len(sections)] = event_study.sentences(b, outcome, lang)
            fig, table = event_study.event_view(b, outcome, lang)
            heading = f"{t('es.title', lang)}: {views.label(b, 'outcome', outcome, lang)}"
            sections.append((heading, fig, table))
    for outcome in outcomes:
        fig, table = views.overview_view(b, outcome, groups, lang)
        sections.append((views.label(b, "outcome", outcome, lang), fig, table))
        if waves:
            fig, table = views.communities_view(b, outcome, waves[-1], lang)
            sections.append((t("communities.title", lang), fig, table))
    if "likert" in b.tables:
        for outcome in sorted(b.tables["likert"]["outcome"].unique()):
            fig, table = views.indicators_view(b, outcome, "all", lang)
            sections.append((t("indicators.title", lang), fig, table))
    if "problems" in b.tables and waves:
        fig, table = views.problems_view(b, "all", waves[-1], lang)
        sections.append((t("problems.title", lang), fig, table))
    if "focus_groups" in b.tables:
        fig, table = views.focus_view(b, "all", lang)
        sections.append((t("focus.title", lang), fig, table))
    note = b.plan.get("did_note") or {}  # why the study has no DiD (one wave, no arms)
    pol = b.policy
    return {
        "lang": lang,
        "title": _title(b, lang),
        "subtitle": t("app.subtitle", lang),
        "findings_title": t("findings.title", lang),
        "findings": [
            {
                "mark": t("finding.sig" if f["significant"] else "finding.not_sig", lang),
                "sentence": f["sentence"],
            }
            for f in outcome_findings(b, lang)
        ],
        "findings_note": t("findings.note", lang),
        "did_note": str(note.get(lang) or note.get("en") or note.get("uk") or ""),
        "sections": [
            {"heading": heading, "fig": fig, "table": _table(table), "sentences": said.get(i, [])}
            for i, (heading, fig, table) in enumerate(sections)
        ],
        "method_title": t("method.title", lang),
        "policy": t(policy_key(pol), lang, min_cell=pol.min_cell, max_cv=pol.max_cv),
        "method": [
            {"heading": t(key, lang), "table": _table(table)}
            for key, table in views.methodology_view(b, lang).items()
        ],
    }


def workbook_tables(b: Bundle) -> dict[str, pd.DataFrame]:
    """Every table with ``<key>_uk`` and ``<key>_en`` label columns added."""
    out = {}
    for kind, df in b.tables.items():
        frame = df.copy()
        for col in LABELLED:
            if col in frame.columns:
                for lang in ("uk", "en"):
                    frame[f"{col}_{lang}"] = _labels(b, frame, col, lang)
        out[kind] = frame
    return out


def _labels(b: Bundle, frame: pd.DataFrame, col: str, lang: str) -> list[str]:
    """Labels of a column; a subgroup ``level`` among its own variable's value labels."""
    from trustsurvey.dashboard.views import label

    if col == "level" and "subgroup" in frame.columns:
        return [
            label(b, "level", v, lang, outcome=str(s)) if v != ALL else "all"
            for v, s in zip(frame[col], frame["subgroup"], strict=True)
        ]
    return [label(b, col, v, lang) if v != ALL else "all" for v in frame[col]]


def _title(b: Bundle, lang: str) -> str:
    title = b.manifest.get("title") or {}
    return (
        str(title.get(lang) or title.get("uk") or b.study) if isinstance(title, dict) else b.study
    )


def _figure_html(fig: dict[str, Any], *, include_js: bool) -> str:
    import plotly.io as pio

    return pio.to_html(
        fig,
        include_plotlyjs=bool(include_js),
        full_html=False,
        config={"displaylogo": False, "responsive": True},
        validate=False,
    )


def _table(table: pd.DataFrame) -> dict[str, list[Any]]:
    """Column names and rows of cells as text (missing values empty) for the template."""
    if table.empty:
        return {"columns": [], "rows": []}
    rows = [["" if _missing(v) else str(v) for v in row] for row in table.itertuples(index=False)]
    return {"columns": [str(c) for c in table.columns], "rows": rows}


def _missing(v: object) -> bool:
    """True for None, NaN and pandas' NA (whose truth value is ambiguous)."""
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)

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

import html
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey._files import atomic_path
from trustsurvey.errors import PublishError
from trustsurvey.publish.bundle import Bundle, read_bundle
from trustsurvey.publish.safe import to_xlsx_bytes
from trustsurvey.publish.schema import ALL

LABELLED = ("outcome", "community", "arm", "problem", "theme", "subgroup", "level")

CSS = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:0 auto;padding:1rem;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
nav a{margin-right:1rem} .note{color:#555;font-size:.85rem}
"""


def write_report(bundle: Bundle | str | Path, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``tables.xlsx`` into ``out_dir``; return their paths."""
    from trustsurvey.dashboard import views
    from trustsurvey.dashboard.findings import outcome_findings
    from trustsurvey.dashboard.translations import policy_key, t

    b = bundle if isinstance(bundle, Bundle) else read_bundle(bundle)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PublishError(
            f"cannot create the report folder ({err.strerror})", file=out, hint="check the path"
        ) from err
    parts = [
        "<!DOCTYPE html><html lang='uk'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(_title(b, 'uk'))}</title><style>{CSS}</style></head><body>",
        "<nav><a href='#uk'>Українська</a><a href='#en'>English</a></nav>",
    ]
    first = True
    for lang in ("uk", "en"):
        parts.append(f"<section id='{lang}' lang='{lang}'><h1>{html.escape(_title(b, lang))}</h1>")
        parts.append(f"<p class='note'>{html.escape(t('app.subtitle', lang))}</p>")
        outcomes = [o["value"] for o in views.outcome_options(b, lang)]
        groups = [o["value"] for o in views.group_options(b, lang) if o["value"].startswith("arm:")]
        waves = [o["value"] for o in views.wave_options(b, lang)]
        sections: list[tuple[str, Any, pd.DataFrame]] = []
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
        found = outcome_findings(b, lang)
        if found:
            parts.append(f"<h2>{html.escape(t('findings.title', lang))}</h2><ul>")
            for f in found:
                mark = t("finding.sig" if f["significant"] else "finding.not_sig", lang)
                parts.append(
                    f"<li><strong>{html.escape(mark)}.</strong> {html.escape(f['sentence'])}</li>"
                )
            parts.append(f"</ul><p class='note'>{html.escape(t('findings.note', lang))}</p>")
        elif b.plan.get("did_note"):  # why the study has no DiD (one wave, no arms)
            note = b.plan["did_note"]
            text = note.get(lang) or note.get("en") or note.get("uk") or ""
            parts.append(f"<p class='note'>{html.escape(str(text))}</p>")
        for heading, fig, table in sections:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
            parts.append(_figure_html(fig, include_js=first))
            first = False
            parts.append(_table_html(table))
        parts.append(f"<h2>{html.escape(t('method.title', lang))}</h2>")
        pol = b.policy
        parts.append(
            f"<p>{html.escape(t(policy_key(pol), lang, min_cell=pol.min_cell, max_cv=pol.max_cv))}"
            "</p>"
        )
        for key, table in views.methodology_view(b, lang).items():
            parts.append(f"<h3>{html.escape(t(key, lang))}</h3>{_table_html(table)}")
        parts.append("</section>")
    parts.append(
        f"<p class='note'>{html.escape(str(b.manifest.get('created', '')))} · trustsurvey "
        f"{html.escape(str((b.manifest.get('software') or {}).get('trustsurvey', '')))}</p>"
    )
    parts.append("</body></html>")
    html_path, xlsx_path = out / "report.html", out / "tables.xlsx"
    workbook = to_xlsx_bytes(workbook_tables(b))  # made before anything is replaced
    for path, data in ((html_path, "".join(parts).encode("utf-8")), (xlsx_path, workbook)):
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


def _table_html(table: pd.DataFrame) -> str:
    if table.empty:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{'' if _missing(v) else html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _missing(v: object) -> bool:
    """True for None, NaN and pandas' NA (whose truth value is ambiguous)."""
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)

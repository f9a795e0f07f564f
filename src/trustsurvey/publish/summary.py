"""A one-page printable summary of a bundle per language, as PDF (WeasyPrint).

The page holds the headline findings in words, the first outcome over the waves for each
arm with 95% CIs (an SVG chart drawn here, no JavaScript), every community against the
average of all communities in the last wave, the local security problems named most often,
and the programme's activity; a footnote says what is suppressed. ``trustsurvey run`` writes
``out/summary_uk.pdf`` and ``out/summary_en.pdf`` beside the report, and
``out/summary_communities_uk.pdf`` / ``_en.pdf`` with one page per community: the community's
figure over the waves against all communities, its place among the communities, and the
problems its residents name (a partner prints their own page).

>>> import tempfile
>>> from trustsurvey.publish.fixture import demo_bundle
>>> html = summary_html(demo_bundle(), "en")
>>> "Key findings" in html and "<svg" in html
True
"""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey._files import atomic_path
from trustsurvey.errors import PublishError
from trustsurvey.publish.bundle import Bundle, read_bundle
from trustsurvey.publish.schema import ALL

CSS = """
@page { size: A4; margin: 12mm 14mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.6pt; color: #1b1b1b; }
h1 { font-size: 14pt; margin: 0 0 1mm; } h2 { font-size: 10.5pt; margin: 3mm 0 1mm; }
p { margin: 0 0 1mm; } .note { color: #555; font-size: 7.5pt; }
ul { margin: 0; padding-left: 4mm; } li { margin-bottom: .8mm; }
.sig b { color: #0b4f7c; } .ns { color: #444; }
.row { display: flex; gap: 5mm; } .col { flex: 1 1 0; }
table { border-collapse: collapse; width: 100%; font-size: 7.8pt; }
th, td { border-bottom: .3pt solid #bbb; padding: .6mm 1mm; text-align: left; }
td.num, th.num { text-align: right; }
"""
W, H, PAD_L, PAD_B, PAD_T = 300, 150, 40, 28, 10


def _e(text: Any) -> str:
    return _html.escape(str(text))


def trend_svg(bundle: Bundle, outcome: str, lang: str, community: Any = None) -> str:
    """The outcome over the waves for each arm (or, given ``community``, for that community
    and for all communities), 95% CIs as whiskers, y from the scale's minimum (0–100 % for a
    yes/no outcome)."""
    from trustsurvey.dashboard import views
    from trustsurvey.dashboard.numbers import fmt_number
    from trustsurvey.dashboard.translations import t

    est = bundle.tables.get("estimates")
    if est is None:
        return ""
    sel = est[(est["outcome"] == outcome) & (est["subgroup"] == ALL)]
    if community is None:
        sel = sel[(sel["community"] == ALL) & (sel["arm"] != ALL)].assign(series=sel["arm"])
    else:
        mine = sel[sel["community"].astype(str) == str(community)]
        every = sel[(sel["community"] == ALL) & (sel["arm"] == ALL)]
        sel = pd.concat([mine.assign(series="community"), every.assign(series=ALL)])
    sel = views.scaled(bundle, outcome, sel)
    sel = sel[sel["wave"].notna()]
    waves = sorted(int(w) for w in sel["wave"].unique())
    if sel.empty or not waves:
        return ""
    scale = views.scale_of(bundle, outcome) or {}
    if scale.get("binary"):
        lo, hi = 0.0, 100.0
    elif scale:
        lo, hi = float(scale["min"]), float(scale["max"])
    else:
        lo, hi = 0.0, float(sel["ci_high"].max() * 1.1)

    def y(v: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (1 - (v - lo) / ((hi - lo) or 1))

    def x(i: int) -> float:
        return PAD_L + (W - PAD_L - 10) * (i + 0.5) / len(waves)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(
            f'<line x1="{PAD_L}" x2="{W - 10}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e3e3"/>'
            f'<text x="{PAD_L - 4}" y="{y(v) + 3:.1f}" font-size="8" text-anchor="end">'
            f"{_e(fmt_number(v, lang, 0 if scale.get('binary') else 1))}</text>"
        )
    for i, w in enumerate(waves):
        parts.append(
            f'<text x="{x(i):.1f}" y="{H - PAD_B + 12}" font-size="8" text-anchor="middle">'
            f"{_e(views.wave_label(bundle, w, lang))}</text>"
        )
    legend_y = H - 4
    groups = list(sel.groupby("series", sort=True))
    if community is not None:  # the community first, in the pilot colour
        groups.sort(key=lambda g: g[0] != "community")
    for j, (arm, part) in enumerate(groups):
        if community is None:
            colour, name = (
                views.ARM_COLOURS.get(arm, views.PALETTE[2]),
                views.label(bundle, "arm", arm, lang),
            )
        elif arm == "community":
            colour = views.PALETTE[0]
            name = views.label(bundle, "community", community, lang)
        else:
            colour, name = views.PALETTE[2], t("label.all_communities", lang)
        dash = "" if j == 0 else ' stroke-dasharray="4 2"'
        part = part.set_index("wave")
        pts = [(x(i), y(float(part.at[w, "estimate"]))) for i, w in enumerate(waves)
               if w in part.index and pd.notna(part.at[w, "estimate"])]  # fmt: skip
        if len(pts) > 1:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}"{dash}/>')
        for i, w in enumerate(waves):
            if w not in part.index or pd.isna(part.at[w, "estimate"]):
                continue
            cx = x(i) + (j - 0.5) * 6
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(float(part.at[w, "ci_low"])):.1f}" '
                f'y2="{y(float(part.at[w, "ci_high"])):.1f}" stroke="{colour}"/>'
                f'<circle cx="{cx:.1f}" cy="{y(float(part.at[w, "estimate"])):.1f}" r="2.6" '
                f'fill="{colour}"/>'
            )
        lx = PAD_L + j * 120
        parts.append(
            f'<line x1="{lx}" x2="{lx + 14}" y1="{legend_y - 3}" y2="{legend_y - 3}" '
            f'stroke="{colour}"{dash}/><text x="{lx + 18}" y="{legend_y}" font-size="8">'
            f"{_e(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _communities(bundle: Bundle, outcome: str, lang: str, highlight: Any = None) -> str:
    from trustsurvey.dashboard import views
    from trustsurvey.dashboard.numbers import fmt_number
    from trustsurvey.dashboard.translations import t

    est = bundle.tables.get("estimates")
    if est is None:
        return ""
    sel = est[(est["outcome"] == outcome) & (est["subgroup"] == ALL) & est["wave"].notna()]
    if sel.empty:
        return ""
    last = int(sel["wave"].max())
    sel = views.scaled(bundle, outcome, sel[sel["wave"] == last])
    avg = sel[(sel["community"] == ALL) & (sel["arm"] == ALL)]["estimate"]
    digits = 1 if (views.scale_of(bundle, outcome) or {}).get("binary") else 2
    rows = []
    for r in sel[sel["community"] != ALL].to_dict("records"):
        value = "—" if pd.isna(r["estimate"]) else fmt_number(r["estimate"], lang, digits)
        name = _e(views.label(bundle, "community", r["community"], lang))
        cell = f"<td class='num'>{_e(value)}</td>"
        if highlight is not None and str(r["community"]) == str(highlight):
            name, cell = f"<b>▶ {name}</b>", f"<td class='num'><b>{_e(value)}</b></td>"
        rows.append(f"<tr><td>{name}</td>{cell}</tr>")
    if len(avg):
        rows.append(
            f"<tr><td><b>{_e(t('label.all_communities', lang))}</b></td>"
            f"<td class='num'><b>{_e(fmt_number(avg.iloc[0], lang, digits))}</b></td></tr>"
        )
    head = (
        f"<tr><th>{_e(t('col.community', lang))}</th>"
        f"<th class='num'>{_e(views.wave_label(bundle, last, lang))}</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _problems(bundle: Bundle, lang: str, top: int = 5, community: Any = None) -> str:
    from trustsurvey.dashboard import views
    from trustsurvey.dashboard.numbers import fmt_number
    from trustsurvey.dashboard.translations import t

    pr = bundle.tables.get("problems")
    if pr is None:
        return ""
    if community is not None:
        mine = pr[
            (pr["community"].astype(str) == str(community)) & (pr["wave"] == pr["wave"].max())
        ]
        mine = mine[mine["share"].notna()].sort_values(
            ["share", "problem"], ascending=[False, True]
        )
        if mine.empty:
            return f"<p class='note'>{_e(t('summary.not_published', lang))}</p>"
        items = "".join(
            f"<li>{_e(views.label(bundle, 'problem', r['problem'], lang))}: "
            f"{_e(fmt_number(100 * r['share'], lang, 0))} %</li>"
            for r in mine.head(top).to_dict("records")
        )
        return f"<ol>{items}</ol>"
    rows = pr[(pr["community"] == ALL) & (pr["wave"] == pr["wave"].max())]
    arms = [ALL] if (rows["arm"] == ALL).any() else sorted(set(rows["arm"]))
    out = []
    for arm in arms:  # everyone, or each arm when the bundle has no overall row
        sel = rows[(rows["arm"] == arm) & rows["share"].notna()]
        sel = sel.sort_values("share", ascending=False).head(top if arm == ALL else 3)
        items = "".join(
            f"<li>{_e(views.label(bundle, 'problem', r['problem'], lang))}: "
            f"{_e(fmt_number(100 * r['share'], lang, 0))} %</li>"
            for r in sel.to_dict("records")
        )
        head = "" if arm == ALL else f"<p><b>{_e(views.label(bundle, 'arm', arm, lang))}</b></p>"
        out.append(f"{head}<ol>{items}</ol>")
    return "".join(out)


def _programme(bundle: Bundle, lang: str) -> str:
    from trustsurvey.dashboard.numbers import fmt_count
    from trustsurvey.dashboard.translations import t

    act = bundle.tables.get("programme_activities")
    if act is None:
        return ""
    return (
        f"<p>{_e(t('col.activities', lang))}: <b>{_e(fmt_count(act['activities'].sum(), lang))}"
        f"</b>; {_e(t('col.participants', lang))}: "
        f"<b>{_e(fmt_count(act['participants'].sum(), lang))}</b></p>"
    )


def summary_html(bundle: Bundle, lang: str) -> str:
    """The one-page summary as HTML (print styles for A4)."""
    from trustsurvey.dashboard import views
    from trustsurvey.dashboard.findings import outcome_findings
    from trustsurvey.dashboard.numbers import fmt_number
    from trustsurvey.dashboard.translations import policy_key, t

    title = bundle.manifest.get("title") or {}
    name = title.get(lang) or title.get("uk") or bundle.study if isinstance(title, dict) else title
    found = outcome_findings(bundle, lang)
    items = "".join(
        f"<li class='{'sig' if f['significant'] else 'ns'}'><b>"
        f"{_e(t('finding.sig' if f['significant'] else 'finding.not_sig', lang))}.</b> "
        f"{_e(f['sentence'])}</li>"
        for f in found
    )
    outcomes = [o["value"] for o in views.outcome_options(bundle, lang)]
    first = outcomes[0] if outcomes else None
    pol = bundle.policy
    body = [
        f"<h1>{_e(name)}</h1><p class='note'>{_e(t('app.subtitle', lang))} · "
        f"{_e(t('label.created', lang))}: {_e(str(bundle.manifest.get('created', ''))[:10])}</p>",
    ]
    if items:
        body.append(f"<h2>{_e(t('findings.title', lang))}</h2><ul>{items}</ul>")
    if first:
        body.append(
            "<div class='row'><div class='col'>"
            f"<h2>{_e(views.label(bundle, 'outcome', first, lang))}</h2>"
            f"{trend_svg(bundle, first, lang)}</div><div class='col'>"
            f"<h2>{_e(t('communities.title', lang))}</h2>{_communities(bundle, first, lang)}"
            "</div></div>"
        )
    side = []
    if "problems" in bundle.tables:
        side.append(f"<div class='col'><h2>{_e(t('problems.title', lang))}</h2>"
                    f"{_problems(bundle, lang)}</div>")  # fmt: skip
    if "programme_activities" in bundle.tables:
        side.append(f"<div class='col'><h2>{_e(t('nav.programme', lang))}</h2>"
                    f"{_programme(bundle, lang)}</div>")  # fmt: skip
    if side:
        body.append(f"<div class='row'>{''.join(side)}</div>")
    policy = t(policy_key(pol), lang, min_cell=pol.min_cell, max_cv=fmt_number(pol.max_cv, lang, 2))
    body.append(f"<p class='note'>{_e(t('findings.note', lang))} {_e(policy)}</p>")
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{_e(name)}</title><style>{CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def communities_of(bundle: Bundle) -> list[Any]:
    """The communities with rows of their own in the estimates, in the bundle's order."""
    est = bundle.tables.get("estimates")
    if est is None or "community" not in est.columns:
        return []
    return [c for c in dict.fromkeys(est["community"]) if c != ALL]


def community_pages_html(bundle: Bundle, lang: str) -> str:
    """One printable page per community (A4): the community's first outcome over the waves
    against all communities, its place among the communities in the last wave, and the
    problems its residents name most often (suppressed shares are not shown)."""
    from trustsurvey.dashboard import views
    from trustsurvey.dashboard.translations import t

    title = bundle.manifest.get("title") or {}
    study = title.get(lang) or title.get("uk") or bundle.study if isinstance(title, dict) else title
    outcomes = [o["value"] for o in views.outcome_options(bundle, lang)]
    first = outcomes[0] if outcomes else None
    pages = []
    for community in communities_of(bundle):
        name = views.label(bundle, "community", community, lang)
        body = [
            f"<h1>{_e(name)}</h1><p class='note'>{_e(study)} · {_e(t('app.subtitle', lang))}</p>"
        ]
        if first:
            body.append(
                "<div class='row'><div class='col'>"
                f"<h2>{_e(views.label(bundle, 'outcome', first, lang))}</h2>"
                f"<p class='note'>{_e(t('summary.community_vs_all', lang, community=name))}</p>"
                f"{trend_svg(bundle, first, lang, community=community)}</div><div class='col'>"
                f"<h2>{_e(t('communities.title', lang))}</h2>"
                f"{_communities(bundle, first, lang, highlight=community)}</div></div>"
            )
        if "problems" in bundle.tables:
            body.append(
                f"<h2>{_e(t('summary.community_problems', lang))}</h2>"
                f"{_problems(bundle, lang, community=community)}"
            )
        body.append(f"<p class='note'>{_e(t('summary.community_note', lang))}</p>")
        pages.append(f"<section class='page'>{''.join(body)}</section>")
    css = CSS + ".page { page-break-after: always; } .page:last-child { page-break-after: auto; }"
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{_e(study)}</title><style>{css}</style></head><body>{''.join(pages)}</body></html>"
    )


def write_summaries(bundle: Bundle | str | Path, out_dir: str | Path) -> list[Path]:
    """Write ``summary_uk.pdf`` and ``summary_en.pdf`` into ``out_dir`` (atomically), and,
    for a study with communities, ``summary_communities_uk.pdf`` / ``_en.pdf`` (a page each)."""
    import weasyprint

    b = bundle if isinstance(bundle, Bundle) else read_bundle(bundle)
    jobs = [(f"summary_{lang}.pdf", lang, summary_html) for lang in ("uk", "en")]
    if communities_of(b):
        jobs += [
            (f"summary_communities_{lang}.pdf", lang, community_pages_html) for lang in ("uk", "en")
        ]
    paths = []
    for filename, lang, make in jobs:
        path = Path(out_dir) / filename
        data = weasyprint.HTML(string=make(b, lang)).write_pdf()
        try:
            with atomic_path(path, mkdir=False) as tmp:
                tmp.write_bytes(data)
        except OSError as err:
            raise PublishError(
                f"cannot write {path.name} ({err.strerror or err})",
                file=path,
                hint="free disk space, or check that the folder is writable",
            ) from err
        paths.append(path)
    return paths

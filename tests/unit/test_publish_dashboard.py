"""Dashboard callbacks as plain functions, translations, escaping, downloads, security."""

from __future__ import annotations

import ast
import base64
import copy
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from trustsurvey.dashboard import callbacks, views
from trustsurvey.dashboard.app import create_app
from trustsurvey.dashboard.config import (
    OPTIONAL_PAGES,
    PATHS,
    DashboardConfig,
    config_from_mapping,
)
from trustsurvey.dashboard.translations import TEXTS, missing_translations, t
from trustsurvey.errors import PublishError
from trustsurvey.publish.bundle import Bundle
from trustsurvey.publish.fixture import demo_bundle

DASHBOARD = Path(__file__).parents[2] / "src" / "trustsurvey" / "dashboard"
CFG = DashboardConfig()
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return demo_bundle()


@pytest.fixture(scope="module")
def evil(bundle) -> Bundle:
    manifest = copy.deepcopy(bundle.manifest)
    manifest["labels"]["community"]["bucha"] = {"uk": XSS, "en": XSS}
    manifest["labels"]["arm"]["pilot"] = {"uk": "=cmd|' /C calc'!A0", "en": "=cmd|' /C calc'!A0"}
    return Bundle(bundle.path, manifest, bundle.tables)


def _bars(fig) -> list[dict]:
    """The traces that draw bars (not the legend-only swatches)."""
    return [tr for tr in fig["data"] if tr.get("showlegend") is not True]


def _texts(component) -> list[str]:
    """Every string in a Dash component tree."""
    out: list[str] = []
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        for c in component:
            out += _texts(c)
        return out
    children = getattr(component, "children", None)
    if children is not None:
        out += _texts(children)
    return out


def test_translations_are_complete_and_every_key_used_exists():
    assert missing_translations() == []
    used = set()
    for file in DASHBOARD.glob("*.py"):
        used |= set(re.findall(r"\bt\(\s*f?\"([a-z_.{}]+)\"", file.read_text()))
    literal = {k for k in used if "{" not in k}
    assert literal and literal <= set(TEXTS)
    for key in TEXTS:
        if key != "status.ok":
            assert TEXTS[key]["uk"] != TEXTS[key]["en"] or key.startswith("level")


@pytest.mark.parametrize("page", [p for p in PATHS if p not in OPTIONAL_PAGES])
def test_every_page_renders_in_both_languages(bundle, page):
    uk = callbacks.render_shell(bundle, CFG, PATHS[page], "uk")
    en = callbacks.render_shell(bundle, CFG, PATHS[page], "en")
    assert uk[0] == "Довіра до поліції (синтетичне дослідження)"
    assert en[0] == "Trust in police (synthetic)"
    assert t(f"nav.{page}", "uk") in _texts(uk[3]) and t(f"nav.{page}", "en") in _texts(en[3])
    assert set(_texts(uk[4])) != set(_texts(en[4]))


def test_unknown_path_says_not_found(bundle):
    assert t("label.not_found", "en") in _texts(callbacks.render_shell(bundle, CFG, "/x", "en")[4])


def test_a_filter_changes_the_figure(bundle):
    one, _ = views.overview_view(bundle, "trust_police", ["arm:pilot"], "en")
    two, table = views.overview_view(bundle, "trust_police", ["arm:pilot", "com:bucha"], "en")
    assert len(one["data"]) == 1 and len(two["data"]) == 2
    est = bundle.tables["estimates"]
    bucha = est[
        (est["community"] == "bucha")
        & (est["outcome"] == "trust_police")
        & (est["subgroup"] == "all")
    ].sort_values("wave")
    assert two["data"][1]["y"] == [round(v, 3) for v in bucha["estimate"]]
    assert table["Community or arm"].tolist().count("Bucha") == 2


def test_likert_includes_difficult_to_answer(bundle):
    fig, table = views.indicators_view(bundle, "trust_police", "all", "en")
    names = [tr["name"] for tr in fig["data"]]
    assert "Difficult to answer" in names
    # per wave the shares add to 1; a hidden share is blank with its note, the rest add to less
    for _wave, rows in table.groupby("Wave"):
        hidden = rows["Share"].isna()
        assert (rows.loc[hidden, "Note"].str.startswith("suppressed")).all()
        total = rows["Share"].sum()
        if hidden.any():
            assert total < 1.0
        else:
            assert total == pytest.approx(1.0, abs=0.01)


def test_suppressed_cells_show_as_suppressed(bundle):
    fig, table = views.communities_view(bundle, "trust_police", 2, "en")
    row = table[table["Community"] == "Boyarka"].iloc[0]
    assert row["Estimate"] is None or pd.isna(row["Estimate"])
    assert row["Note"] == "suppressed: fewer than 30 respondents"
    pilot = next(tr for tr in _bars(fig) if tr["name"] == "Pilot communities")
    assert None in pilot["x"]  # sideways bars: the values run along x
    _, other = views.communities_view(bundle, "safe_night", 2, "en")
    assert any(n.startswith("suppressed: protects") for n in other["Note"])


def test_did_headline_says_when_its_n_is_withheld(bundle):
    did = bundle.tables["did"].copy()
    for reason, n in (("n_withheld", None), (None, 1234.0)):
        did["suppression_reason"], did["n"] = reason, n
        b = Bundle(bundle.path, bundle.manifest, {**bundle.tables, "did": did})
        _, headline, _, _ = callbacks.overview_update(b, "trust_police", ["arm:pilot"], "en")
        text = "".join(_texts(headline))
        assert "None" not in text
        expected = "n withheld: it would reveal a suppressed cell" if reason else "n = 1,234"
        assert text.endswith(f"; {expected})."), text


def test_did_headline(bundle):
    did = views.did_view(bundle, "trust_police", "en")
    r = bundle.tables["did"].set_index("outcome").loc["trust_police"]
    assert did["estimate"] == round(r["estimate"], 3)
    assert did["ci_low"] == round(r["ci_low"], 3) and did["ci_high"] == round(r["ci_high"], 3)


def test_download_returns_exactly_the_shown_numbers(bundle):
    _, table = views.communities_view(bundle, "trust_police", 1, "en")
    data = callbacks.shown(table, "communities")
    csv = callbacks.download_payload(data, "csv", "x")
    assert csv["filename"] == "x-en.csv"
    got = pd.read_csv(io.BytesIO(base64.b64decode(csv["content"])), encoding="utf-8-sig")
    assert got["Estimate"].tolist() == table["Estimate"].tolist()
    n = "Respondents (n)"  # blank where suppressed or withheld
    assert got[n].fillna(-1).astype(int).tolist() == table[n].fillna(-1).astype(int).tolist()
    assert table[n].isna().any() and got[n].isna().sum() == table[n].isna().sum()
    xlsx = callbacks.download_payload(data, "xlsx", "x")
    ws = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"]))).active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [v[2] for v in values] == table["Estimate"].tolist()


def test_labels_are_escaped_and_exports_neutralised(evil):
    fig, table = views.communities_view(evil, "trust_police", 1, "en")
    xs = [x for tr in fig["data"] for x in tr["y"]]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xs and XSS not in xs
    cell = callbacks.layout.html_table(table, "en")
    markdown = cell.children.children
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in markdown and XSS not in markdown
    assert cell.children.dangerously_allow_html is False
    data = callbacks.shown(table, "communities")
    raw = base64.b64decode(callbacks.download_payload(data, "csv", "x")["content"]).decode(
        "utf-8-sig"
    )
    assert "'=cmd" in raw and ",=cmd" not in raw


def test_methodology_lists_what_was_suppressed(bundle):
    tables = views.methodology_view(bundle, "en")
    sup = tables["method.suppression"].set_index("Table")
    disclosed = bundle.manifest["disclosure"]["suppressed"]
    assert sup.loc["Answer distributions", "Small cells"] == disclosed["likert"]["small_cell"]
    withheld = sup.loc["Outcome estimates", "n withheld"]
    assert withheld == disclosed["estimates"]["n_withheld"] and withheld >= 10
    assert {"method.sample", "method.weighting", "method.moe", "method.quality"} <= set(tables)


def test_config_rejects_unknown_pages():
    with pytest.raises(PublishError, match="unknown dashboard page"):
        config_from_mapping({"pages": ["overview", "maps"]})
    assert config_from_mapping({"title": "X", "languages": ["en"]}).default_language == "en"


def test_dashboard_imports_nothing_that_reaches_microdata():
    banned = (
        "trustsurvey.design",
        "trustsurvey.io",
        "trustsurvey.study",
        "trustsurvey.weighting",
        "trustsurvey.validation",
        "trustsurvey.analysis",
        "trustsurvey.example",
    )
    for file in DASHBOARD.glob("*.py"):
        for node in ast.walk(ast.parse(file.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(banned), f"{file.name} imports {name}"
    code = (
        "import sys, json\n"
        "from trustsurvey.dashboard.app import create_app\n"
        "import trustsurvey.dashboard.wsgi, trustsurvey.dashboard.callbacks\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('trustsurvey'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert not [m for m in loaded if m.startswith(banned)]


def test_security_headers_and_offline_assets(bundle):
    app = create_app(bundle)
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src "))
    # no string-to-code and no inline script but Dash's own, by hash
    assert "'unsafe-eval'" not in script_src and "'unsafe-inline'" not in script_src
    assert "'wasm-unsafe-eval'" not in script_src
    body = page.get_data(as_text=True)
    assert not re.search(r"(src|href)=\"https?://", body)
    assert app.config.serve_locally and not app.config.external_stylesheets
    for src in re.findall(r"src=\"([^\"]+)\"", body):
        assert client.get(src).status_code == 200, src


def test_basic_auth_guards_every_route(bundle, monkeypatch):
    monkeypatch.setenv("TRUSTSURVEY_DASHBOARD_USER", "partner")
    monkeypatch.setenv("TRUSTSURVEY_DASHBOARD_PASSWORD", "s3cret")
    client = create_app(bundle).server.test_client()
    good = {"Authorization": "Basic " + base64.b64encode(b"partner:s3cret").decode()}
    bad = {"Authorization": "Basic " + base64.b64encode(b"partner:nope").decode()}
    for url in ("/", "/assets/style.css", "/_dash-layout", "/_dash-dependencies", "/methodology"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=bad).status_code == 401
        assert client.get(url, headers=good).status_code == 200
    post = client.post("/_dash-update-component", json={})
    assert post.status_code == 401


def test_wsgi_entry_needs_the_bundle_variable(bundle, monkeypatch):
    import trustsurvey.dashboard.wsgi as wsgi

    monkeypatch.delenv("TRUSTSURVEY_BUNDLE", raising=False)
    with pytest.raises(PublishError, match="TRUSTSURVEY_BUNDLE"):
        wsgi.build()
    monkeypatch.setenv("TRUSTSURVEY_BUNDLE", str(bundle.path))
    server = wsgi.build()
    assert server.test_client().get("/").status_code == 200
    assert not server.debug


def _published(bundle, **where) -> pd.DataFrame:
    est = bundle.tables["estimates"]
    mask = pd.Series(True, index=est.index)
    for col, value in where.items():
        mask &= est[col] == value
    return est[mask]


def test_groups_view_draws_the_published_subgroup_estimates_by_arm(bundle):
    fig, table = views.groups_view(bundle, "trust_police", "sex", 2, "arms", "en")
    assert [tr["name"] for tr in _bars(fig)] == [
        "All communities",
        "Control communities",
        "Pilot communities",
    ]
    rows = _published(bundle, outcome="trust_police", subgroup="sex", wave=2, community="all")
    for trace, arm in zip(_bars(fig), ("all", "control", "pilot"), strict=True):
        part = rows[rows["arm"] == arm]
        assert trace["x"] == ["Women", "Men"]
        assert trace["y"] == [round(v, 3) for v in part["estimate"]]
        assert trace["error_y"]["array"] == [
            round(h - e, 3) for h, e in zip(part["ci_high"], part["estimate"], strict=True)
        ]
    assert fig["layout"]["xaxis"]["title"]["text"] == "Sex"
    assert list(table.columns)[:3] == ["Community or arm", "Population group", "Wave"]
    assert len(table) == len(rows) == 6
    uk, _ = views.groups_view(bundle, "trust_police", "sex", 2, "arms", "uk")
    assert _bars(uk)[0]["x"] == ["Жінки", "Чоловіки"]


def test_groups_view_shows_suppressed_rows_as_suppressed(bundle):
    fig, table = views.groups_view(bundle, "trust_police", "age", 1, "com:boyarka", "en")
    assert [tr["name"] for tr in _bars(fig)] == ["Boyarka"]
    table = table.set_index("Population group")
    assert table.at["60+", "Note"] == "suppressed: fewer than 30 respondents"
    assert pd.isna(table.at["60+", "Estimate"]) and pd.isna(table.at["60+", "95% CI low"])
    assert _bars(fig)[0]["y"][2] is None  # no bar for a suppressed cell
    notes = {
        "small_cell": "suppressed: fewer than 30 respondents",
        "complementary": "suppressed: protects another suppressed cell",
    }
    seen = set()
    for (outcome, wave, com), part in _published(bundle, subgroup="age").groupby(
        ["outcome", "wave", "community"]
    ):
        group = "arms" if com == "all" else f"com:{com}"
        fig, table = views.groups_view(bundle, outcome, "age", wave, group, "en")
        for r in part[part["suppressed"]].itertuples():
            if com != "all":
                name = views.label(bundle, "community", com, "en")
            else:
                name = views.label(bundle, "community" if r.arm == "all" else "arm", r.arm, "en")
            row = table[
                (table["Population group"] == r.level) & (table["Community or arm"] == name)
            ]
            assert row["Note"].tolist() == [notes[r.suppression_reason]], (
                outcome,
                wave,
                com,
                r.level,
            )
            assert row["Estimate"].isna().all()
            seen.add(r.suppression_reason)
    assert seen == set(notes)  # both kinds met


def test_groups_view_flags_unreliable_estimates(bundle):
    est = bundle.tables["estimates"].copy()
    flag = (
        (est["outcome"] == "safe_night")
        & (est["subgroup"] == "age")
        & (est["wave"] == 2)
        & (est["community"] == "all")
        & (est["level"] == "60+")
    )
    est.loc[flag, "unreliable"] = True
    shaky = Bundle(bundle.path, bundle.manifest, {**bundle.tables, "estimates": est})
    fig, table = views.groups_view(shaky, "safe_night", "age", 2, "arms", "en")
    patterns = [tr["marker"]["pattern"]["shape"] for tr in _bars(fig)]
    assert patterns == [["", "", "/"]] * 3  # hatched, still drawn
    assert all(tr["y"][2] is not None for tr in _bars(fig))
    legend = [tr for tr in fig["data"] if tr.get("showlegend")]  # plain swatches + hatching
    assert [tr["marker"].get("pattern") for tr in legend] == [None] * 3 + [{"shape": "/"}]
    notes = table.loc[table["Population group"] == "60+", "Note"]
    assert notes.tolist() == ["unreliable estimate (coefficient of variation > 0.3)"] * 3


def test_groups_view_offers_only_published_breakdowns(bundle):
    assert [o["value"] for o in views.subgroup_options(bundle, "en")] == ["sex", "age"]
    whom = [o["value"] for o in views.groups_community_options(bundle, "en")]
    assert whom[0] == "arms" and "com:bucha" in whom
    for args in (
        ("trust_police", "all", 1, "arms"),  # the whole-domain rows are not a breakdown
        ("trust_police", "education", 1, "arms"),
        ("trust_police", "sex", 9, "arms"),
        ("trust_police", "sex", 1, "com:nowhere"),
        ("trust_police", "sex", 1, "sex:female"),
        ("phone", "sex", 1, "arms"),
    ):
        fig, table = views.groups_view(bundle, *args, "en")
        assert fig["data"] == [] and table.empty, args


def test_groups_callback_as_a_plain_function_and_its_download(bundle):
    fn, inputs = callbacks.CHART_PAGES["groups"]
    assert inputs == ("outcome", "subgroup", "wave", "group")
    fig, component, data = callbacks.simple_update(
        fn, "groups", bundle, "en", "safe_night", "age", 1, "arms"
    )
    assert component.id == "groups-tbl"
    _, table = views.groups_view(bundle, "safe_night", "age", 1, "arms", "en")
    csv = callbacks.download_payload(data, "csv", "x")
    got = pd.read_csv(io.BytesIO(base64.b64decode(csv["content"])), encoding="utf-8-sig")
    assert list(got.columns) == list(table.columns)
    assert got["Estimate"].tolist() == table["Estimate"].tolist()
    assert [v for tr in fig["data"] for v in tr["y"]] == table["Estimate"].tolist()


def test_first_page_is_in_the_layout_and_pages_arrive_drawn(bundle):
    """The layout holds the overview with its chart (no callback before the first chart);
    every page's content carries its figure and store, so page callbacks wait for a change."""
    app = create_app(bundle)
    layout = json.loads(app.server.test_client().get("/_dash-layout").get_data(as_text=True))
    ids = {}
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("props"), dict) and "id" in node["props"]:
                ids[json.dumps(node["props"]["id"])] = node["props"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert ids['"overview-graph"']["figure"]["data"]
    assert ids['"title"']["children"] == app.title
    assert ids['{"type": "shown", "page": "overview"}']["data"]["tables"][0]["rows"]
    deps = app.server.test_client().get("/_dash-dependencies").get_json()
    pages = [d for d in deps if d["inputs"][0]["id"] not in ("url", "lang-switch")]
    assert pages and all(d["prevent_initial_call"] for d in pages)
    for page in ("indicators", "communities", "problems", "focus_groups", "methodology"):
        content = callbacks.render_shell(bundle, CFG, PATHS[page], "en")[4]
        stores = [
            c.data
            for c in _components(content)
            if getattr(c, "id", None) == {"type": "shown", "page": page}
        ]
        assert stores and stores[0]["tables"], page


def _components(component) -> list:
    out = [component]
    children = component if isinstance(component, list) else getattr(component, "children", None)
    if isinstance(children, list):
        for c in children:
            out += _components(c)
    elif children is not None and not isinstance(children, str):
        out += _components(children)
    return out


def test_tab_title_and_html_lang_script_is_allowed_by_the_csp(bundle):
    app = create_app(bundle, lang="en")
    client = app.server.test_client()
    page = client.get("/")
    body = page.get_data(as_text=True)
    assert '<html lang="en">' in body
    assert callbacks.DOCUMENT_LANG_JS in body  # served inline, as Dash does
    csp = page.headers["Content-Security-Policy"]
    live = re.sub(r"<!--.*?-->", "", body, flags=re.S)  # not the IE conditional comment
    inline = re.findall(r"<script>(.*?)</script>", live, flags=re.S)
    assert inline
    for script in inline:
        digest = base64.b64encode(__import__("hashlib").sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp

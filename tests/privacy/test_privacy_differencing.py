"""Differencing attacks on the running dashboard, through its HTTP endpoints only.

The intruder requests every page's callback with every combination of the offered filters,
downloads what was shown (CSV and XLSX), requests values that are not offered, and then
solves linear programmes (``scipy.optimize.linprog``) over everything collected: margins over
communities and arms add up, answer counts add up to the sample size, a published share times
a published sample size bounds a count, a small cell holds fewer than ``min_cell`` and a
complementary one at least ``min_cell`` respondents (Hundepool et al. 2012, sec. 4.3). Every
suppressed count must keep an interval at least the bundle's protection interval wide.
"""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest_privacy import Intruder, csv_tables, serve, subsets
from scipy.optimize import linprog

from trustsurvey.dashboard.app import create_app
from trustsurvey.dashboard.translations import t
from trustsurvey.publish.fixture import demo_bundle

logging.getLogger("werkzeug").setLevel(logging.ERROR)
LANG = "en"
N_COL = "Respondents (n)"
NOTE = "Note"


def shown_tables(response: dict[str, Any]) -> list[dict[str, Any]]:
    for key, value in response.items():
        if '"shown"' in key:
            return list((value.get("data") or {}).get("tables") or [])
    return []


@pytest.fixture(scope="module")
def bundle():  # type: ignore[no-untyped-def]
    return demo_bundle()


@pytest.fixture(scope="module")
def collected(bundle) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Everything the intruder gathers: options, every callback answer, every download."""
    with serve(create_app(bundle)) as base:
        it = Intruder(base)
        assert it.get("/").status_code == 200
        assert it.get("/_dash-layout").status_code == 200
        pages = {p: it.options(p, LANG) for p in ("/", "/indicators", "/communities", "/problems")}
        pages["/focus-groups"] = it.options("/focus-groups", LANG)
        answers: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
        o = pages["/"]
        for outcome in o["overview-outcome"]:
            for groups in subsets(o["overview-groups"], 2):
                answers[("overview", (outcome, tuple(groups)))] = it.update(
                    "overview-outcome", [outcome, groups], LANG
                )
        simple = {
            "indicators": ("/indicators", ["indicators-outcome", "indicators-group"]),
            "communities": ("/communities", ["communities-outcome", "communities-wave"]),
            "problems": ("/problems", ["problems-group", "problems-wave"]),
            "focus_groups": ("/focus-groups", ["focus_groups-wave"]),
            # "By group" on the indicators page: subgroup estimates (sex, age) by arm/community
            "groups": (
                "/indicators",
                ["groups-outcome", "groups-subgroup", "groups-wave", "groups-group"],
            ),
        }
        for page, (path, ids) in simple.items():
            for combo in itertools.product(*(pages[path][i] for i in ids)):
                answers[(page, combo)] = it.update(ids[0], list(combo), LANG)
        answers[("methodology", ())] = it.update("methodology-sample", ["x"], LANG)
        downloads: list[tuple[str, pd.DataFrame]] = []
        for (page, combo), resp in answers.items():
            tables = shown_tables(resp)
            if not tables or (page == "overview" and len(combo[1]) > 1):
                continue
            for fmt in ("csv", "xlsx"):
                r = it.download(page, {"tables": tables}, fmt)
                assert r.status_code == 200, (page, fmt, r.text[:300])
                data = next(iter(r.json()["response"].values()))["data"]
                import base64

                raw = base64.b64decode(data["content"])
                if fmt == "csv":
                    for df in csv_tables(raw, len(tables) > 1):
                        downloads.append((page, df))
                else:
                    for name, df in pd.read_excel(io.BytesIO(raw), sheet_name=None).items():
                        downloads.append((name, df))
        yield {"pages": pages, "answers": answers, "downloads": downloads, "intruder": it}


def test_every_filter_combination_was_requested(collected) -> None:  # type: ignore[no-untyped-def]
    pages = collected["pages"]
    n_groups = len(pages["/indicators"]["indicators-group"])
    assert n_groups >= 6
    assert len(collected["answers"]) > 50
    assert len(collected["downloads"]) > 50


#: key columns that may read as numbers: answer labels ("1" ... "9" of a 0-10 item), wave, rank
KEY_COLUMNS = frozenset(t(k, LANG) for k in ("col.category", "col.wave", "col.rank"))


def blank_suppressed_rows(collected: dict[str, Any]) -> int:
    """Check that every row marked suppressed (page tables, downloads) shows no number
    outside its key columns; return how many such rows the intruder met."""
    frames = [
        pd.DataFrame(tb["rows"], columns=tb["columns"])
        for resp in collected["answers"].values()
        for tb in shown_tables(resp)
    ] + [df for _, df in collected["downloads"]]
    marked = 0
    for df in frames:
        if NOTE not in df:
            continue
        sup = df[NOTE].astype(str).str.startswith("suppressed")
        values = [c for c in df.columns if c != NOTE and c not in KEY_COLUMNS]
        shown = df.loc[sup, values].apply(pd.to_numeric, errors="coerce")
        assert shown.isna().all().all(), df.loc[sup]
        marked += int(sup.sum())
    return marked


def test_suppressed_rows_show_no_numbers(collected) -> None:  # type: ignore[no-untyped-def]
    """Wherever a row is marked suppressed (page tables and downloads) its numbers are blank."""
    assert blank_suppressed_rows(collected) > 0  # the attack met suppressed cells


def test_figures_leave_suppressed_bars_blank(collected, bundle) -> None:  # type: ignore[no-untyped-def]
    """The communities chart draws no bar for a suppressed community-wave."""
    est = bundle.tables["estimates"]
    for (page, combo), resp in collected["answers"].items():
        if page != "communities":
            continue
        outcome, wave = combo
        rows = est[
            (est["outcome"] == outcome)
            & (est["wave"] == wave)
            & (est["subgroup"] == "all")
            & (est["community"] != "all")
        ]
        hidden = {
            bundle.label("community", c, LANG) for c in rows.loc[rows["suppressed"], "community"]
        }
        for trace in resp["communities-graph"]["figure"]["data"]:
            for x, y in zip(trace["x"], trace["y"], strict=True):
                if x in hidden:
                    assert y is None, (outcome, wave, x, y)


UNOFFERED = [
    ("overview-outcome", ["phone", ["all"]]),
    ("overview-outcome", ["trust_police", ["com:nowhere"]]),
    ("overview-outcome", ["trust_police", ["sex:female"]]),
    ("overview-outcome", ["trust_police", ["com:all", "com:", "arm:all"]]),
    ("indicators-outcome", ["comment", "all"]),
    ("indicators-outcome", ["trust_police", "com:nowhere"]),
    ("indicators-outcome", ["trust_police", "age:60+"]),
    ("communities-outcome", ["trust_police", 3]),
    ("communities-outcome", ["trust_police", 0]),
    ("communities-outcome", ["full_name", 1]),
    ("problems-group", ["com:nowhere", 1]),
    ("problems-group", ["all", 9]),
    ("problems-group", ["sex:male", 2]),
    ("focus_groups-wave", [7]),
]


@pytest.mark.parametrize(("first", "values"), UNOFFERED, ids=[str(v) for _, v in UNOFFERED])
def test_values_not_offered_compute_no_new_cell(collected, first, values) -> None:  # type: ignore[no-untyped-def]
    """A community, wave, outcome or subgroup outside the published set yields no numbers."""
    it: Intruder = collected["intruder"]
    dep = it.dep(first)
    from conftest_privacy import callback_body

    r = it.post(callback_body(dep, values, [LANG] * len(dep["state"])))
    if r.status_code != 200:
        assert r.status_code in (204, 400, 500), r.status_code
        return
    for tb in shown_tables(r.json()["response"]):
        df = pd.DataFrame(tb["rows"], columns=tb["columns"])
        num = df.drop(columns=[c for c in df if c in (NOTE, "Wave")]).apply(
            pd.to_numeric, errors="coerce"
        )
        assert num.isna().all().all(), (values, df)


# --- the linear-programming attack over everything collected -------------------------------


def _label_values(collected: dict[str, Any]) -> dict[str, str]:
    it: Intruder = collected["intruder"]
    out: dict[str, str] = {}
    from conftest_privacy import walk

    for comp in walk(it.page_content("/indicators", LANG)):
        if comp["props"].get("id") == "indicators-group":
            out = {o["label"]: o["value"] for o in comp["props"]["options"]}
    return out


EST_N = "estimate n"
DONT_KNOW = "Difficult to answer"


def attack_counts(
    collected: dict[str, Any], min_cell: int, *, estimate_n: bool = False
) -> pd.DataFrame:
    """Bounds of every suppressed sample size and answer count from what HTTP showed.

    With ``estimate_n`` the intruder also reads the respondent count behind each published
    mean of trust in police (overview page) as the sample size minus the "difficult to
    answer" count (the 1-5 mean leaves those answers out), i.e. the sum of the five
    substantive answer counts."""
    labels = _label_values(collected)
    answers = collected["answers"]
    # community -> arm, from the communities page (labels only, as an intruder reads them)
    members: dict[str, str] = {}
    for (page, _combo), resp in answers.items():
        if page == "communities":
            for row in shown_tables(resp)[0]["rows"]:
                members[labels[row[0]]] = labels[next(k for k in labels if k == row[1])]
    sample = next(
        tb for tb in shown_tables(answers[("methodology", ())]) if tb["name"] == "Sample sizes"
    )
    ss = pd.DataFrame(sample["rows"], columns=sample["columns"])
    unknown = sorted(set(ss["Community"]) - set(labels))
    assert len(unknown) == 1  # the overall total ("All")
    ss["g"] = ss["Community"].map(lambda x: labels.get(x, "all"))
    cells: list[dict[str, Any]] = []
    for r in ss.itertuples(index=False):
        cells.append({"g": r.g, "w": r.Wave, "cat": None, "n": r[2], "note": r[3], "share": None})
    for (page, combo), resp in answers.items():
        if page != "indicators":
            continue
        group = combo[1]
        df = pd.DataFrame(shown_tables(resp)[0]["rows"], columns=shown_tables(resp)[0]["columns"])
        for r in df.itertuples(index=False):
            cells.append(
                {"g": group, "w": r[0], "cat": r[1], "n": r[3], "note": r[4], "share": r[2]}
            )
    if estimate_n:
        for (page, combo), resp in answers.items():
            if page != "overview" or combo[0] != "trust_police" or len(combo[1]) != 1:
                continue
            tb = shown_tables(resp)[0]
            for r in tb["rows"]:
                cells.append(
                    {
                        "g": combo[1][0],
                        "w": r[1],
                        "cat": EST_N,
                        "n": r[5],
                        "note": r[6],
                        "share": None,
                    }
                )
    idx = {(c["g"], c["w"], c["cat"]): i for i, c in enumerate(cells)}
    nvar = len(cells)
    lb, ub = np.zeros(nvar), np.full(nvar, np.inf)
    for i, c in enumerate(cells):
        if c["n"] is not None and not pd.isna(c["n"]):
            lb[i] = ub[i] = float(c["n"])
        elif "fewer than" in str(c["note"]):
            ub[i] = min_cell - 1
        elif "protects" in str(c["note"]) or c["cat"] == EST_N:
            lb[i] = min_cell  # a complement, or a published mean whose n alone is withheld
    a_eq: list[np.ndarray] = []
    a_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    waves = sorted({c["w"] for c in cells})
    cats = sorted({c["cat"] for c in cells if c["cat"] not in (None, EST_N)})
    arms = sorted(set(members.values()))
    for w, cat in itertools.product(waves, [None, EST_N, *cats]):
        groups = {a: [c for c, m in members.items() if m == a] for a in arms}
        groups["all"] = arms
        for parent, kids in groups.items():
            keys = [(k, w, cat) for k in kids]
            if (parent, w, cat) in idx and all(k in idx for k in keys):
                row = np.zeros(nvar)
                row[idx[(parent, w, cat)]] = -1
                for k in keys:
                    row[idx[k]] = 1
                a_eq.append(row)
    for g, w in {(c["g"], c["w"]) for c in cells}:
        keys = [(g, w, cat) for cat in cats if (g, w, cat) in idx]
        if keys and (g, w, None) in idx:
            row = np.zeros(nvar)
            row[idx[(g, w, None)]] = -1
            for k in keys:
                row[idx[k]] = 1
            a_eq.append(row)
            total = cells[idx[(g, w, None)]]["n"]
            if total is not None and not pd.isna(total):
                for k in keys:  # a published share of a published total bounds the count
                    share = cells[idx[k]]["share"]
                    if share is not None and not pd.isna(share):
                        lb[idx[k]] = max(lb[idx[k]], (share - 0.0005) * total)
                        ub[idx[k]] = min(ub[idx[k]], (share + 0.0005) * total)
        if (g, w, EST_N) in idx and keys:  # estimate n = the substantive answers
            row = np.zeros(nvar)
            row[idx[(g, w, EST_N)]] = -1
            for k in keys:
                if k[2] != DONT_KNOW:
                    row[idx[k]] = 1
            a_eq.append(row)
    eq = np.array(a_eq)
    out = []
    for i, c in enumerate(cells):
        if c["n"] is not None and not pd.isna(c["n"]):
            continue
        bounds = []
        for sign in (1, -1):
            obj = np.zeros(nvar)
            obj[i] = sign
            res = linprog(
                obj,
                A_eq=eq,
                b_eq=np.zeros(len(eq)),
                A_ub=np.array(a_ub) if a_ub else None,
                b_ub=np.array(b_ub) if b_ub else None,
                bounds=list(zip(lb, [None if np.isinf(u) else u for u in ub], strict=True)),
                method="highs",
            )
            assert res.status == 0, res.message
            bounds.append(sign * res.fun)
        out.append({**c, "lower": bounds[0], "upper": bounds[1]})
    return pd.DataFrame(out)


def true_counts(bundle) -> dict[tuple[str, str, str | None], float]:  # type: ignore[no-untyped-def]
    """The unsuppressed counts behind the demo bundle (the synthetic study's own tables)."""
    from trustsurvey.publish.fixture import synthetic_tables

    raw = synthetic_tables()
    out: dict[tuple[str, str, str | None], float] = {}

    def g(r: Any) -> str:
        if r.community != "all":
            return f"com:{r.community}"
        return "all" if r.arm == "all" else f"arm:{r.arm}"

    wl = {w["code"]: w["label"][LANG] for w in bundle.waves}
    for r in raw["sample_sizes"].itertuples():
        out[(g(r), wl[r.wave], None)] = float(r.n)
    cat = bundle.labels["category"]["trust_police"]
    for r in raw["likert"].itertuples():
        out[(g(r), wl[r.wave], cat[r.category][LANG])] = float(r.n)
    est = raw["estimates"]
    est = est[(est["outcome"] == "trust_police") & est["subgroup"].isna()]
    for r in est.itertuples():
        out[(g(r), wl[r.wave], EST_N)] = float(r.n)
    return out


def check_attack(collected: dict[str, Any], bundle, *, estimate_n: bool) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    policy = bundle.policy
    bounds = attack_counts(collected, policy.min_cell, estimate_n=estimate_n)
    assert len(bounds) >= 20  # suppressed sample sizes and answer counts were attacked
    truth = true_counts(bundle)
    for r in bounds.itertuples():
        value = truth[(r.g, r.w, None if pd.isna(r.cat) else r.cat)]
        assert r.lower - 1e-6 <= value <= r.upper + 1e-6, r  # the intruder's model is valid
    width = bounds["upper"] - bounds["lower"]
    # a withheld n beside a mean is not sensitive itself: what it protects must stay hidden
    exposed = bounds[(width < policy.protection_interval - 1e-9) & (bounds["cat"] != EST_N)]
    assert exposed.empty, exposed[["g", "w", "cat", "note", "lower", "upper"]].to_string()
    return bounds


def test_lp_attack_on_margins_shares_and_answer_counts_fails(collected, bundle) -> None:  # type: ignore[no-untyped-def]
    """Sample sizes, margins over communities and arms, answer counts and their shares."""
    check_attack(collected, bundle, estimate_n=False)


def test_lp_attack_with_the_n_behind_each_mean_fails(collected, bundle) -> None:  # type: ignore[no-untyped-def]
    """Adds: the n of each published trust mean = sample size - "difficult to answer".

    The writer withholds that n wherever the mean's answer distribution has a suppressed
    count (``n_withheld``); without that, 13 suppressed counts of this bundle came back
    exactly (e.g. a "difficult to answer" count of 9 as 120 - 111)."""
    bounds = check_attack(collected, bundle, estimate_n=True)
    assert (bounds["cat"] == EST_N).any()  # the withheld n were attacked too
    withheld = bundle.tables["estimates"]["suppression_reason"] == "n_withheld"
    assert withheld.sum() >= 10


# --- scans: no PII item, no free text, no respondent-level row -----------------------------

ID_COLUMNS = ("resp_id", "respondent", "respondent_id", "interview_id", "uuid", "_uuid")


def n_respondents(bundle) -> int:  # type: ignore[no-untyped-def]
    """Respondents over all waves (the published overall sample sizes)."""
    ss = bundle.tables["sample_sizes"]
    return int(ss.loc[(ss["community"] == "all") & (ss["arm"] == "all"), "n"].sum())


def forbidden_items(bundle) -> set[str]:  # type: ignore[no-untyped-def]
    m = bundle.manifest
    items = set(m.get("pii_items") or []) | set(m.get("free_text_items") or [])
    return {i.lower() for i in items} | set(ID_COLUMNS)


def test_the_bundle_holds_no_pii_free_text_or_respondent_rows(bundle) -> None:  # type: ignore[no-untyped-def]
    scan_bundle_folder(bundle.path, bundle)


def scan_bundle_folder(path, bundle) -> None:  # type: ignore[no-untyped-def]
    """Every Parquet file of the bundle folder (not only those in the manifest)."""
    n_resp = int(bundle.manifest.get("n_respondents") or 0) or sum(
        int(v)
        for v in bundle.tables["sample_sizes"].query("community == 'all' and arm == 'all'")["n"]
    )
    bad = forbidden_items(bundle)
    files = sorted(path.glob("*.parquet"))
    assert len(files) >= len(bundle.tables)
    for f in files:
        df = pd.read_parquet(f)
        assert not {c.lower() for c in df.columns} & bad, (f.name, list(df.columns))
        assert len(df) < n_resp, (f.name, len(df), n_resp)
        for col in df.select_dtypes(include=["object", "string"]).columns:
            longest = df[col].dropna().astype(str).str.len().max()
            assert pd.isna(longest) or longest <= 80, (f.name, col)  # codes, not free text


def test_every_dashboard_response_is_free_of_pii_and_respondent_rows(collected, bundle) -> None:  # type: ignore[no-untyped-def]
    it: Intruder = collected["intruder"]
    n_resp = n_respondents(bundle)
    assert n_resp > 100
    bad = forbidden_items(bundle)
    assert len(it.seen) > 100
    for where, body in it.seen:
        text = body.decode("utf-8", errors="replace").lower()
        for item in bad:
            assert f'"{item}"' not in text, (where, item)
        assert "resp_id" not in text, where
    frames = [
        pd.DataFrame(tb["rows"], columns=tb["columns"])
        for resp in collected["answers"].values()
        for tb in shown_tables(resp)
    ] + [df for _, df in collected["downloads"]]
    for df in frames:
        assert len(df) < n_resp
        assert not {str(c).lower() for c in df.columns} & bad, list(df.columns)
    for resp in collected["answers"].values():
        for value in resp.values():
            for trace in (value.get("figure") or {}).get("data") or []:
                assert len(trace.get("y") or trace.get("x") or []) < n_resp

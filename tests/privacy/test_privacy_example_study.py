"""The bundled example study's own bundle, attacked through the running dashboard over HTTP.

The same intruder as :mod:`test_privacy_differencing` — its ``collected`` fixture (every
page callback for every offered filter combination, every CSV/XLSX download), its checks of
figures and unoffered filter values and its bundle/response scans, imported and re-run —
pointed at the bundle ``trustsurvey run`` writes for ``trustsurvey example`` instead of the
synthetic demo bundle, plus every view of the Programme page (hotline appeals with suppressed
counts, the dose-response). The LP attack reads the same cells as the demo's; its model
drops the two assumptions the example's data break (answers adding up to the sample size:
the example has refusals; shares bounding counts: its shares are weighted with the raked
weights). The true counts it is checked against are counted here from the run's microdata.

The pipeline runs once per module with only the steps that feed the bundle (``estimates``
writes estimates.csv and ``measurement`` the reliability tables; neither is published).
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest_privacy import Intruder, csv_tables, walk
from scipy.optimize import linprog
from test_privacy_declared import attack as attack_appeals
from test_privacy_differencing import (  # noqa: F401  (fixtures and tests re-run on this bundle)
    EST_N,
    LANG,
    NOTE,
    blank_suppressed_rows,
    collected,
    shown_tables,
    test_every_dashboard_response_is_free_of_pii_and_respondent_rows,
    test_figures_leave_suppressed_bars_blank,
    test_the_bundle_holds_no_pii_free_text_or_respondent_rows,
    test_values_not_offered_compute_no_new_cell,
)

from trustsurvey.dashboard.translations import t

logging.getLogger("werkzeug").setLevel(logging.ERROR)

#: the pipeline steps whose outputs the publish step reads
STEPS = ("read", "validate", "clean", "indices", "weight", "programme", "analysis", "publish")


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # type: ignore[no-untyped-def]
    from trustsurvey.example import generate_example
    from trustsurvey.run.pipeline import STEPS as ALL_STEPS
    from trustsurvey.run.pipeline import run_study

    folder = generate_example(tmp_path_factory.mktemp("privacy") / "example")
    steps = [s for s in ALL_STEPS if s.name in STEPS]
    assert [s.name for s in steps] == list(STEPS)
    return run_study(folder, steps=steps, echo=lambda s: None)


@pytest.fixture(scope="module")
def bundle(run):  # type: ignore[no-untyped-def]
    from trustsurvey.publish.bundle import read_bundle

    return read_bundle(run.outputs["bundle"])


@pytest.fixture(scope="module", autouse=True)
def programme(collected) -> dict[str, Any]:  # type: ignore[no-untyped-def]  # noqa: F811
    """Every view of the Programme page and its downloads, added to what the intruder saw
    (so the imported scans and the blank-row check cover them too)."""
    it: Intruder = collected["intruder"]
    views = it.options("/programme", LANG)["programme-view"]
    out = {}
    for view in views:
        resp = it.update("programme-view", [view], LANG)
        collected["answers"][("programme", (view,))] = out[view] = resp
        tables = shown_tables(resp)
        if not tables:
            continue
        for fmt in ("csv", "xlsx"):
            r = it.download("programme", {"tables": tables}, fmt)
            assert r.status_code == 200, (view, fmt, r.text[:300])
            raw = base64.b64decode(next(iter(r.json()["response"].values()))["data"]["content"])
            if fmt == "csv":
                for df in csv_tables(raw, len(tables) > 1):
                    collected["downloads"].append((view, df))
            else:
                sheets = pd.read_excel(io.BytesIO(raw), sheet_name=None)
                collected["downloads"] += list(sheets.items())
    return out


def test_the_attack_covered_every_page_of_the_example(collected, programme, bundle) -> None:  # noqa: F811
    pages = collected["pages"]
    n_com = bundle.tables["sample_sizes"]["community"].nunique() - 1
    assert n_com >= 10  # the example's communities are offered as filters
    assert len(pages["/"]["overview-groups"]) >= n_com + 3
    assert len(collected["answers"]) > 500
    assert len(collected["downloads"]) > 100
    assert set(programme) == {"timeline", "hotline", "appeals", "resolution", "training", "dose"}


def test_suppressed_rows_show_no_numbers_on_any_page(collected) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Wherever a row is marked suppressed (page tables, Programme views, downloads) its
    values are blank; answer labels are keys even where they read as numbers (the example's
    0-10 trust item labels its answers "1" ... "9")."""
    # the attack met suppressed Likert answers and hotline counts
    assert blank_suppressed_rows(collected) > 100


# --- the linear-programming attack, checked against counts from the microdata -------------


def _labels_of_every_group(gathered: dict[str, Any]) -> dict[str, str]:
    """Group labels -> filter values, from the overview page (all, arms and communities):
    the example publishes Likert answers by arm only, so the indicators page the demo
    attack reads offers no communities."""
    it: Intruder = gathered["intruder"]
    for comp in walk(it.page_content("/", LANG)):
        if comp["props"].get("id") == "overview-groups":
            return {o["label"]: o["value"] for o in comp["props"]["options"]}
    raise AssertionError("the overview page offers no groups")


def _reread_kept(run, item: str, codes: list[int]) -> pd.DataFrame:
    """``wave`` and ``item`` with ``codes`` kept, read again from the cleaned waves (an
    independent path to the analysis frame's ``<item>__missing`` columns)."""
    frames = []
    for wave in run.study.waves:
        f = run.cleaned.data[wave.code].analysis(keep={item: codes})
        frames.append(pd.DataFrame({"wave": wave.code, item: f[item].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def true_counts(run, bundle) -> dict[tuple[str, str, str | None], float]:  # type: ignore[no-untyped-def]
    """Respondents per group and wave, answers of trust in police per category, and valid
    answers (the n of each mean), counted from the run's cleaned microdata."""
    frame = run.analysis
    com = run.study.arms.community
    wl = {w["code"]: w["label"][LANG] for w in bundle.waves}
    cat = bundle.labels["category"]["trust_police"]
    kept = _reread_kept(run, "trust_police", [8])
    assert len(kept) == len(frame)  # the same respondents in the same order
    kept["arm"] = frame["arm"].to_numpy()
    groups = {"all": pd.Series(True, index=frame.index)}
    groups |= {f"arm:{a}": frame["arm"] == a for a in frame["arm"].dropna().unique()}
    groups |= {f"com:{c}": frame[com].astype(str) == str(c) for c in frame[com].dropna().unique()}
    out: dict[tuple[str, str, str | None], float] = {}
    for g, sel in groups.items():
        for wave, part in frame[sel.to_numpy()].groupby("wave"):
            out[(g, wl[int(wave)], None)] = float(len(part))
            out[(g, wl[int(wave)], EST_N)] = float(part["trust_police"].notna().sum())
            out |= {(g, wl[int(wave)], label[LANG]): 0.0 for label in cat.values()}
        answers = kept[sel.to_numpy()].dropna(subset=["trust_police"])
        for (wave, code), n in answers.groupby(["wave", "trust_police"]).size().items():
            out[(g, wl[int(wave)], cat[str(int(code))][LANG])] = float(n)
    return out


def attack_example_counts(
    gathered: dict[str, Any], min_cell: int, dont_know: set[str]
) -> pd.DataFrame:
    """LP bounds of every withheld sample size, trust-in-police answer count and n behind a
    trust mean, from what HTTP showed (the demo attack's cells, read the same way).

    The model is the demo attack's (margins over communities and arms add up; the n of a
    mean = its substantive answers; a small cell < ``min_cell``, a complement or a withheld
    n >= ``min_cell``) with the two changes the example's data need to stay valid: answers
    add up to *at most* the sample size (the example has refusals, which the Likert table
    leaves out), and shares bound nothing (they are weighted with the raked weights, so a
    share times a count is not a count). ``dont_know``: the answer labels that are not
    substantive (the example spells "difficult to answer" in lower case)."""
    labels = _labels_of_every_group(gathered)
    answers = gathered["answers"]
    members: dict[str, str] = {}
    cells: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for (page, combo), resp in answers.items():
        if page == "communities":
            for row in shown_tables(resp)[0]["rows"]:
                members[labels[row[0]]] = labels[row[1]]
        if page == "indicators" and combo[0] == "trust_police":
            for r in shown_tables(resp)[0]["rows"]:  # wave, answer, share, n, note
                cells[(combo[1], r[0], r[1])] = {"n": r[3], "note": r[4]}
        if page == "overview" and combo[0] == "trust_police" and len(combo[1]) == 1:
            for r in shown_tables(resp)[0]["rows"]:  # group, wave, estimate, lo, hi, n, note
                cells[(combo[1][0], r[1], EST_N)] = {"n": r[5], "note": r[6]}
    method = next(iter(shown_tables(answers[("methodology", ())])))
    assert method["name"] == "Sample sizes"
    for r in method["rows"]:  # community, wave, n, note
        cells[(labels.get(r[0], "all"), r[1], None)] = {"n": r[2], "note": r[3]}
    keys = list(cells)
    idx = {k: i for i, k in enumerate(keys)}
    lb, ub = np.zeros(len(keys)), np.full(len(keys), np.inf)
    for i, k in enumerate(keys):
        c = cells[k]
        if c["n"] is not None and not pd.isna(c["n"]):
            lb[i] = ub[i] = float(c["n"])
        elif "fewer than" in str(c["note"]):
            ub[i] = min_cell - 1
        elif "protects" in str(c["note"]) or k[2] == EST_N:
            lb[i] = min_cell  # a complement, or a published mean whose n alone is withheld
    eq, le = [], []

    def row(plus: list[Any], minus: list[Any]) -> np.ndarray:
        out = np.zeros(len(keys))
        out[[idx[k] for k in plus]] = 1
        out[[idx[k] for k in minus]] = -1
        return out

    arms = sorted(set(members.values()))
    families = {a: [c for c, m in members.items() if m == a] for a in arms} | {"all": arms}
    for w, cat in {(k[1], k[2]) for k in keys}:
        for parent, kids in families.items():
            parts = [(g, w, cat) for g in kids]
            if (parent, w, cat) in idx and all(p in idx for p in parts):
                eq.append(row(parts, [(parent, w, cat)]))
    for g, w in {(k[0], k[1]) for k in keys}:
        answered = [k for k in keys if k[:2] == (g, w) and k[2] not in (None, EST_N)]
        if answered and (g, w, None) in idx:
            le.append(row(answered, [(g, w, None)]))  # refusals are not in the Likert table
        if answered and (g, w, EST_N) in idx:
            eq.append(row([k for k in answered if k[2] not in dont_know], [(g, w, EST_N)]))
    bounds = list(zip(lb, [None if np.isinf(u) else u for u in ub], strict=True))
    out = []
    for i, k in enumerate(keys):
        if lb[i] == ub[i]:
            continue
        ends = []
        for sign in (1, -1):
            obj = np.zeros(len(keys))
            obj[i] = sign
            res = linprog(
                obj,
                A_eq=np.array(eq),
                b_eq=np.zeros(len(eq)),
                A_ub=np.array(le),
                b_ub=np.zeros(len(le)),
                bounds=bounds,
                method="highs",
            )
            assert res.status in (0, 3), res.message  # 3: unbounded above
            ends.append(sign * res.fun if res.status == 0 else np.inf)
        out.append(
            {
                "g": k[0],
                "w": k[1],
                "cat": k[2],
                "note": cells[k]["note"],
                "lower": ends[0],
                "upper": ends[1],
            }
        )
    return pd.DataFrame(out)


def dont_know_labels(bundle) -> set[str]:  # type: ignore[no-untyped-def]
    """Labels of the "difficult to answer" categories of trust in police (as shown)."""
    lik = bundle.tables["likert"]
    codes = set(lik.loc[(lik["outcome"] == "trust_police") & lik["dont_know"], "category"])
    return {bundle.labels["category"]["trust_police"][c][LANG] for c in codes}


def _attack(gathered, run, bundle) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    policy = bundle.policy
    bounds = attack_example_counts(gathered, policy.min_cell, dont_know_labels(bundle))
    # every hidden trust-in-police answer count of the whole sample and the arms (the
    # Indicators page shows them all) was attacked, and a withheld n at least
    lik = bundle.tables["likert"]
    hidden = lik["suppressed"] & (lik["outcome"] == "trust_police") & (lik["community"] == "all")
    assert hidden.sum() >= 3
    assert len(bounds) >= hidden.sum() + 1
    truth = true_counts(run, bundle)
    for r in bounds.itertuples():
        value = truth[(r.g, r.w, None if pd.isna(r.cat) else r.cat)]
        assert r.lower - 1e-6 <= value <= r.upper + 1e-6, r  # the intruder's model is valid
    width = bounds["upper"] - bounds["lower"]
    # a withheld n is not sensitive (a published mean's n, at least min_cell): it is hidden
    # only so that the small answer counts keep their intervals, and the intruder's model
    # uses it (n = substantive answers) whatever its own bounds; those counts must hold
    sensitive = bounds["cat"] != EST_N
    exposed = bounds[sensitive & (width < policy.protection_interval - 1e-9)]
    assert exposed.empty, exposed[["g", "w", "cat", "note", "lower", "upper"]].to_string()
    return bounds


def test_lp_attack_on_the_example_answer_counts_and_withheld_n_fails(
    collected,  # noqa: F811
    run,
    bundle,
) -> None:
    """Margins, answers within the sample size, and the n of each published trust mean =
    its substantive answers: no suppressed count narrows below the interval (the withheld n
    are in the intruder's model; not sensitive themselves, they need no interval)."""
    bounds = _attack(collected, run, bundle)
    answers = bounds[bounds["cat"] != EST_N]
    assert answers["cat"].nunique() >= 2  # hidden answers of several categories
    assert (bounds["cat"] == EST_N).any()  # the withheld n were attacked too


# --- the Programme page -------------------------------------------------------------------


def _shown(resp: dict[str, Any]) -> pd.DataFrame:
    tb = shown_tables(resp)[0]
    return pd.DataFrame(tb["rows"], columns=tb["columns"])


def test_programme_dose_response_shows_no_change_for_small_communities(programme, bundle) -> None:
    """A community flagged small_cell has no change on the page (none is, at min_cell 30)."""
    dose = bundle.tables["dose_response"]
    assert not dose["small_cell"].any()  # every example community has 37+ per wave
    shown = _shown(programme["dose"])
    assert len(shown) == len(dose)
    change = pd.to_numeric(shown[t("col.change", LANG)], errors="coerce")
    assert change.notna().all()
    assert int(bundle.tables["dose_fit"]["k"].iloc[0]) == len(dose)


def test_programme_appeals_show_suppressed_counts_as_suppressed(programme, bundle) -> None:
    ap = bundle.tables["appeals"]
    assert ap["suppressed"].sum() >= 50  # most community x category x period counts
    shown = _shown(programme["appeals"])
    sup = shown[NOTE].astype(str).str.startswith("suppressed")
    assert sup.any()
    assert shown.loc[sup, t("col.appeals", LANG)].isna().all()
    published = ap.loc[~ap["suppressed"], "n"]
    assert (published >= bundle.policy.threshold("appeals")).all()  # min_records


def test_lp_attack_on_the_example_appeals_and_their_monthly_series_fails(bundle) -> None:
    """Communities, categories, the months of each period and the periods of each category
    (time-to-resolution counts) add up: no suppressed appeal count narrows below the
    interval."""
    policy = bundle.policy
    mo = bundle.tables["appeals_monthly"]
    assert mo["suppressed"].any() and (~mo["suppressed"]).any()
    bounds = attack_appeals(bundle)
    assert len(bounds) >= 100
    need = min(policy.protection_interval, policy.min_records - 1)
    exposed = bounds[bounds["upper"] - bounds["lower"] < need - 1e-9]
    assert exposed.empty, exposed.to_string()

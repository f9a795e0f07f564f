"""The intruder that walks the whole dashboard of a bundle over HTTP: every page with every
value of every filter it offers, in each language, and the download of every view.

In the first language it requests every combination of a page's filters (every outcome with
every community, arm, wave, subgroup; the overview with each group alone) and downloads
each view as CSV; in the others it requests every offered value of each filter at least
once (the numbers do not depend on the language, which :func:`check_languages_agree`
checks) and downloads those views as CSV and XLSX. What it gathers is what
:func:`test_privacy_differencing.attack_counts` and the other checks read: ``answers``
(page, filter values) -> callback response, ``downloads`` (page, table) and ``pages``
(the offered values).
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Iterator
from typing import Any

import pandas as pd
from conftest_privacy import Intruder, csv_tables, serve

#: page -> (path, the filter controls its callback reads, first the one it is keyed by)
PAGES: dict[str, tuple[str, list[str]]] = {
    "overview": ("/", ["overview-outcome", "overview-groups"]),
    "indicators": ("/indicators", ["indicators-outcome", "indicators-group"]),
    "groups": ("/indicators", ["groups-outcome", "groups-subgroup", "groups-wave", "groups-group"]),
    "communities": ("/communities", ["communities-outcome", "communities-wave"]),
    "problems": ("/problems", ["problems-group", "problems-wave"]),
    "focus_groups": ("/focus-groups", ["focus_groups-wave"]),
    "programme": ("/programme", ["programme-view"]),
}


def _combinations(ids: list[str], offered: dict[str, list[Any]]) -> Iterator[list[Any]]:
    """Every combination of the offered values (the overview's groups one at a time)."""
    choices = [[[g] for g in offered[i]] if i == "overview-groups" else offered[i] for i in ids]
    yield from (list(c) for c in itertools.product(*choices))


def _diagonal(ids: list[str], offered: dict[str, list[Any]]) -> Iterator[list[Any]]:
    """Combinations that use every offered value of every filter at least once."""
    longest = max(len(offered[i]) for i in ids)
    for k in range(longest):
        combo = [offered[i][k % len(offered[i])] for i in ids]
        yield [[v] if i == "overview-groups" else v for i, v in zip(ids, combo, strict=True)]


def _key(page: str, combo: list[Any]) -> tuple[str, tuple[Any, ...]]:
    return page, tuple(tuple(v) if isinstance(v, list) else v for v in combo)


def shown_tables(response: dict[str, Any]) -> list[dict[str, Any]]:
    for key, value in response.items():
        if '"shown"' in key:
            return list((value.get("data") or {}).get("tables") or [])
    return []


def _download(it: Intruder, page: str, tables: list[Any], fmt: str) -> list[pd.DataFrame]:
    r = it.download(page, {"tables": tables}, fmt)
    assert r.status_code == 200, (page, fmt, r.text[:300])
    raw = base64.b64decode(next(iter(r.json()["response"].values()))["data"]["content"])
    if fmt == "csv":
        return csv_tables(raw, len(tables) > 1)
    return list(pd.read_excel(io.BytesIO(raw), sheet_name=None).values())


def walk_dashboard(bundle: Any, langs: tuple[str, ...] = ("en", "uk")) -> dict[str, Any]:
    """Everything an intruder gets from the dashboard of ``bundle`` (see the module)."""
    from trustsurvey.dashboard.app import create_app

    out: dict[str, Any] = {"answers": {}, "downloads": [], "pages": {}, "by_lang": {}}
    with serve(create_app(bundle)) as base:
        it = Intruder(base)
        assert it.get("/").status_code == 200
        assert it.get("/_dash-layout").status_code == 200
        out["intruder"] = it
        for n, lang in enumerate(langs):
            answers: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
            downloads: list[tuple[str, pd.DataFrame]] = []
            paths = {path for path, _ in PAGES.values()}
            offered = {k: v for p in sorted(paths) for k, v in it.options(p, lang).items()}
            for page, (_path, ids) in PAGES.items():
                if not all(i in offered for i in ids):
                    continue
                combos = _combinations(ids, offered) if n == 0 else _diagonal(ids, offered)
                for combo in combos:
                    answers[_key(page, combo)] = it.update(ids[0], combo, lang)
            answers[("methodology", ())] = it.update("methodology-sample", ["x"], lang)
            formats = ("csv",) if n == 0 else ("csv", "xlsx")
            for (page, _combo), resp in answers.items():
                tables = [tb for tb in shown_tables(resp) if tb.get("rows")]
                for fmt in formats if tables else ():
                    downloads += [(page, df) for df in _download(it, page, tables, fmt)]
            out["by_lang"][lang] = {"answers": answers, "downloads": downloads}
            if n == 0:
                out.update(answers=answers, downloads=downloads, pages=offered)
    out["requests"] = len(it.seen)
    return out


def numbers(frames: list[pd.DataFrame]) -> set[float]:
    """Every number in ``frames`` (rounded to 6 decimals)."""
    found: set[float] = set()
    for df in frames:
        for col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce").dropna()
            found.update(round(float(v), 6) for v in values)
    return found


def shown_frames(gathered: dict[str, Any]) -> list[pd.DataFrame]:
    """Every table of every page response and every download."""
    return [
        pd.DataFrame(tb["rows"], columns=tb["columns"])
        for resp in gathered["answers"].values()
        for tb in shown_tables(resp)
    ] + [df for _, df in gathered["downloads"]]


def check_languages_agree(gathered: dict[str, Any]) -> int:
    """The numbers shown in every other language are numbers the first language showed (the
    language changes labels, not values); returns how many views were compared."""
    langs = list(gathered["by_lang"])
    first = numbers(shown_frames(gathered["by_lang"][langs[0]]))
    compared = 0
    for lang in langs[1:]:
        seen = gathered["by_lang"][lang]
        extra = numbers(shown_frames(seen)) - first
        assert not extra, (lang, sorted(extra)[:10])
        compared += len(seen["answers"])
    return compared


def blank_suppressed_rows(seen: dict[str, Any], lang: str) -> int:
    """Check that every row a view or download in ``lang`` marks suppressed shows no number
    outside its key columns (answer labels may read as numbers); return how many there
    were."""
    from trustsurvey.dashboard.translations import t

    note = t("col.status", lang)
    marker = t("status.complementary", lang).split(":")[0]  # "suppressed" / "приховано"
    keys = {t(k, lang) for k in ("col.category", "col.wave", "col.rank")}
    marked = 0
    for df in shown_frames(seen):
        if note not in df:
            continue
        sup = df[note].astype(str).str.startswith(marker)
        values = [c for c in df.columns if c != note and c not in keys]
        shown = df.loc[sup, values].apply(pd.to_numeric, errors="coerce")
        assert shown.isna().all().all(), df.loc[sup]
        marked += int(sup.sum())
    return marked

"""Disclosure control of an update: the publish step with ``publish.previous_bundle`` (the
writer audits both releases together, :mod:`trustsurvey.publish.update`) against the same
update published without it, at N communities x W waves.

Data (seeded, in memory only): the simulated study of ``bench_publish.py`` (15-200
respondents per community and wave); the update adds 1-8 late interviews in the first wave
of one community in eight. Timed (wall clock, one process, workers as ``TRUSTSURVEY_WORKERS``):
``protect_tables`` of the first release, of the update alone (the peer: what an update costs
without the previous release) and of the update with the first release as ``previous``
(protection, its own audit and the audit of both releases together until both pass).
Reported: seconds and their ratio, rows suppressed, and the cells that the audit of both
releases finds exposed in each update (the update alone is the negative control; the
verdict is exact).

usage::

    .venv/bin/python benchmarks/bench_publish_update.py --communities 100 400 1469
    .venv/bin/python benchmarks/bench_publish_update.py --communities 4 --waves 2   # smoke

Results: ``benchmarks/_results/publish_update_<UTC time>.{md,json}`` and
``publish_update_latest.*``.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "_results"


def make_releases(communities: int, waves: int, seed: int = 1) -> tuple[dict, dict]:
    """The normalised tables of a simulated study and of the same study with late
    interviews (see the module doc)."""
    from trustsurvey.publish.fixture import simulate_respondents, tables_from_respondents
    from trustsurvey.publish.normalize import normalize_table

    rng = np.random.default_rng(seed)
    sizes = {
        f"c{i:04d}": tuple(int(x) for x in rng.integers(15, 201, waves)) for i in range(communities)
    }
    arms = {c: ("pilot" if i % 2 == 0 else "control") for i, c in enumerate(sizes)}
    first = simulate_respondents(sizes, seed=seed, arms=arms)
    late = {
        c: (int(rng.integers(1, 9)),) + (0,) * (waves - 1)
        for c in list(sizes)[:: max(1, min(8, communities // 2))]
    }
    update = pd.concat([first, simulate_respondents(late, seed=seed + 1, arms=arms)])

    def tables(resp: pd.DataFrame) -> dict:
        raw = tables_from_respondents(resp.reset_index(drop=True))
        return {k: normalize_table(k, v) for k, v in raw.items()}

    return tables(first), tables(update)


def run(communities: int, waves: int) -> dict[str, Any]:
    from trustsurvey.publish.policy import DisclosurePolicy
    from trustsurvey.publish.suppression import protect_tables
    from trustsurvey.publish.update import audit_update

    policy = DisclosurePolicy()
    first, update = make_releases(communities, waves)
    seconds: dict[str, float] = {}

    def timed(name: str, tables: dict, **kw: Any) -> dict:
        start = time.perf_counter()
        out, _ = protect_tables(tables, policy, **kw)
        seconds[name] = time.perf_counter() - start
        return out

    released = timed("first", first)
    alone = timed("alone", update)
    careful = timed("with_previous", update, previous=released)

    def exposed(tables: dict) -> int:
        return int(audit_update(released, tables, policy, exact=False)["exposed"].sum())

    def hidden(tables: dict) -> int:
        return sum(int(df["suppressed"].sum()) for df in tables.values() if "suppressed" in df)

    return {
        "communities": communities,
        "waves": waves,
        "first_s": round(seconds["first"], 2),
        "alone_s": round(seconds["alone"], 2),
        "with_previous_s": round(seconds["with_previous"], 2),
        "ratio": round(seconds["with_previous"] / seconds["alone"], 2),
        "alone_suppressed": hidden(alone),
        "with_previous_suppressed": hidden(careful),
        "alone_exposed": exposed(alone),
        "with_previous_exposed": exposed(careful),
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| N | W | first release s | update alone s | update with previous s | ratio "
        "| rows hidden alone / with previous | exposed by both releases alone / with previous |"
    )
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['communities']} | {r['waves']} | {r['first_s']} | {r['alone_s']} "
            f"| {r['with_previous_s']} | {r['ratio']} "
            f"| {r['alone_suppressed']} / {r['with_previous_suppressed']} "
            f"| {r['alone_exposed']} / {r['with_previous_exposed']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--communities", type=int, nargs="+", default=[100])
    p.add_argument("--waves", type=int, default=4)
    p.add_argument("--out", type=Path, default=RESULTS, help="folder of the results")
    args = p.parse_args(argv)
    rows = []
    for n in args.communities:
        rows.append(run(n, args.waves))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"publish_update_{stamp}", "publish_update_latest"):
        (args.out / f"{name}.json").write_text(json.dumps(rows, indent=2), "utf-8")
        (args.out / f"{name}.md").write_text(table(rows) + "\n", "utf-8")
    print(table(rows))
    return 0 if all(r["with_previous_exposed"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Disclosure control at scale: the publish step's protection and exact audit, optimal
against greedy complementary suppression, at N communities x W waves.

Data (seeded, in memory only): :func:`trustsurvey.publish.fixture.simulate_respondents` with
15-200 respondents per community and wave (uniform), communities alternately pilot and
control, aggregated by :func:`~trustsurvey.publish.fixture.tables_from_respondents` into the
bundle's survey tables (estimates by sex and age, answer distributions, problems, sample
sizes, with margins over communities and arms) and normalised. Building them is not timed.

Timed (wall clock, one run per method in its own process, so peak memory is the method's):
``protect_tables`` (primary suppression, complements, the writer's audit) plus an exact LP
audit of the result (``audit_tables(..., exact=True)``: the exact range of each hidden cell,
two linear programmes, in connected groups of up to ``audit.LARGE`` hidden cells; larger ones
by neighbourhood witnesses and the whole programme for what they leave: an exact verdict,
from the published tables alone). Independent programmes run on worker processes
(:mod:`trustsurvey.publish.parallel`; ``TRUSTSURVEY_WORKERS``, default the usable cores, at
most 2); the result does not depend on their number. Reported: wall-clock seconds, CPU
seconds (the process and its workers), peak resident memory (``ru_maxrss`` of the process,
incl. the tables, plus the largest worker's once per worker: an upper bound, forked workers
share most pages), rows suppressed, complements, n withheld, the share of
information lost (weighted count of suppressed rows / weighted count of all rows of tables
with counts), cells the exact audit finds recoverable, and the optimiser's statistics. A
method that gives up ("could not protect") or passes ``--timeout`` is reported as such.

usage::

    .venv/bin/python benchmarks/bench_publish.py                          # N = 12, 100
    .venv/bin/python benchmarks/bench_publish.py --communities 12 100 400 1469 --timeout 1800
    .venv/bin/python benchmarks/bench_publish.py --communities 4 --waves 2 --timeout 120  # smoke

Results: ``benchmarks/_results/publish_<UTC time>.{md,json}`` and ``publish_latest.*``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "_results"
METHODS = ("optimal", "greedy")


def make_tables(communities: int, waves: int, seed: int = 1) -> dict[str, Any]:
    """The normalised survey tables of a simulated study (see the module doc)."""
    from trustsurvey.publish.fixture import simulate_respondents, tables_from_respondents
    from trustsurvey.publish.normalize import normalize_table

    rng = np.random.default_rng(seed)
    sizes = {
        f"c{i:04d}": tuple(int(x) for x in rng.integers(15, 201, waves)) for i in range(communities)
    }
    arms = {c: ("pilot" if i % 2 == 0 else "control") for i, c in enumerate(sizes)}
    resp = simulate_respondents(sizes, seed=seed, arms=arms)
    tables = tables_from_respondents(resp)
    return {k: normalize_table(k, v) for k, v in tables.items()}


def weights_of(tables: dict[str, Any]) -> dict[str, np.ndarray]:
    """Weighted count of every row of the tables with counts (the information measure)."""
    from trustsurvey.publish.loss import row_weights

    return row_weights(tables)


def loss(
    tables: dict[str, Any], out: dict[str, Any], weight: dict[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """Rows suppressed, complements, n withheld and the share of information lost (weighted
    count of the suppressed rows over that of all rows) of ``out``, the protected
    ``tables``."""
    from trustsurvey.publish.schema import KINDS

    weight = weights_of(tables) if weight is None else weight
    hidden = lost = total = 0.0
    complements = withheld = 0
    for kind, w in weight.items():
        df = out[kind]
        sup = df["suppressed"].to_numpy(dtype=bool)
        why = df["suppression_reason"].astype(object)
        # rows of the published tables are in their declared order: match by key
        keys = list(KINDS[kind].keys)
        pos = tables[kind][keys].reset_index().merge(df[keys].reset_index(), on=keys)
        order = np.empty(len(df), dtype=int)
        order[pos["index_y"].to_numpy()] = pos["index_x"].to_numpy()
        lost += float(w[order][sup].sum())
        total += float(w.sum())
        hidden += int(sup.sum())
        complements += int((why == "complementary").sum())
        withheld += int((why == "n_withheld").sum())
    return {
        "cells": sum(len(tables[k]) for k in weight),
        "suppressed": int(hidden),
        "complementary": complements,
        "n_withheld": withheld,
        "info_lost": lost / total if total else 0.0,
    }


def cpu_time() -> float:
    """CPU seconds of this process and of its finished worker processes."""
    own = time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + kids.ru_utime + kids.ru_stime


def peak_mib() -> float:
    """Peak resident memory: this process's, plus the largest worker's once per worker (an
    upper bound: forked workers share most of their pages with this process)."""
    from trustsurvey.publish.parallel import workers

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + (workers() if kids else 0) * kids) / 1024


def run_one(communities: int, waves: int, method: str) -> dict[str, Any]:
    """One method on one study, in this process."""
    from trustsurvey.errors import PublishError
    from trustsurvey.publish.audit import audit_tables
    from trustsurvey.publish.parallel import workers
    from trustsurvey.publish.policy import DisclosurePolicy
    from trustsurvey.publish.suppression import protect_tables

    tables = make_tables(communities, waves)
    weight = weights_of(tables)
    policy = DisclosurePolicy(suppression_method=method)
    stats: list[Any] = []
    import trustsurvey.publish.suppression as suppression

    original = suppression._optimal

    def recorded(*args: Any, **kwargs: Any) -> Any:
        stats.append(original(*args, **kwargs))
        return stats[-1]

    suppression._optimal = recorded  # type: ignore[assignment]
    start, cpu = time.perf_counter(), cpu_time()
    row: dict[str, Any] = {"communities": communities, "waves": waves, "method": method}
    try:
        out, _ = protect_tables(tables, policy)
    except PublishError as err:
        row.update(status="gave up", seconds=time.perf_counter() - start, error=str(err)[:200])
        return row
    protected, cpu_protected = time.perf_counter(), cpu_time()
    audit = audit_tables(out, policy, exact=True)
    done, cpu_done = time.perf_counter(), cpu_time()
    row.update(loss(tables, out, weight))
    row.update(
        status="ok",
        seconds=done - start,
        protect_seconds=protected - start,
        audit_seconds=done - protected,
        cpu_seconds=cpu_done - cpu,
        protect_cpu_seconds=cpu_protected - cpu,
        peak_mib=peak_mib(),
        workers=workers(),
        audited=len(audit),
        recoverable=int(audit["exposed"].sum()),
    )
    if stats:
        s = stats[-1]
        row.update(
            programmes=s.programmes, proven=s.proven, fallback=s.fallback, lp_seconds=s.seconds
        )
    return row


def run_isolated(communities: int, waves: int, method: str, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", str(communities), str(waves), method]
    # its own process group, so that a timeout stops its worker processes too
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"communities": communities, "waves": waves, "method": method,
                "status": f"timeout ({timeout:g} s)"}  # fmt: skip
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"communities": communities, "waves": waves, "method": method,
                "status": "failed", "error": stderr[-300:]}  # fmt: skip
    return json.loads(lines[-1])


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| N | waves | method | status | seconds | CPU seconds | load | peak MiB "
        "| rows suppressed | complements | n withheld | information lost | recoverable |\n"
        + "|---" * 13
        + "|\n"
    )
    out = []
    for r in rows:
        ok = r.get("status") == "ok"
        load = f"{r['load']:.1f}" if "load" in r else ""
        out.append(
            f"| {r['communities']} | {r['waves']} | {r['method']} | {r['status']} | "
            + (
                f"{r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {load} | {r['peak_mib']:.0f} | "
                f"{r['suppressed']} | {r['complementary']} | {r['n_withheld']} | "
                f"{100 * r['info_lost']:.2f}% | {r['recoverable']} |"
                if ok
                else f"{r.get('seconds', float('nan')):.1f} | | {load} | | | | | | |"
            )
        )
    return head + "\n".join(out) + "\n"


def growth(rows: list[dict[str, Any]], method: str = "optimal") -> str:
    """Exponent of time in N from N = 100 (else the smallest N) to the largest N the method
    did, for wall-clock and CPU seconds."""
    ok = sorted(
        (r["communities"], r["seconds"], r["cpu_seconds"])
        for r in rows
        if r["method"] == method and r.get("status") == "ok"
    )
    if len(ok) < 2:
        return ""
    first = next((o for o in ok if o[0] >= 100), ok[0]) if ok[-1][0] > 100 else ok[0]
    (n0, t0, c0), (n1, t1, c1) = first, ok[-1]
    if n0 == n1:
        return ""
    e_wall = np.log(t1 / t0) / np.log(n1 / n0)
    e_cpu = np.log(c1 / c0) / np.log(n1 / n0)
    return (
        f"{method}: time ~ N^{e_wall:.2f} (wall clock), N^{e_cpu:.2f} (CPU) from N={n0} to N={n1}\n"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--communities", type=int, nargs="+", default=[12, 100])
    p.add_argument("--waves", type=int, default=4)
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    p.add_argument(
        "--greedy-timeout", type=float, default=None, help="seconds per greedy run (--timeout)"
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="folder of the results")
    p.add_argument("--one", nargs=3, metavar=("N", "WAVES", "METHOD"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), int(args.one[1]), args.one[2])))
        return 0
    rows = []
    for n in args.communities:
        for method in args.methods:
            load = os.getloadavg()[0]
            limit = args.greedy_timeout if method == "greedy" and args.greedy_timeout else None
            rows.append(run_isolated(n, args.waves, method, limit or args.timeout))
            rows[-1]["load"] = max(load, os.getloadavg()[0])
            print(json.dumps(rows[-1]), flush=True)
    md = (
        table(rows)
        + "".join(growth(rows, m) for m in args.methods)
        + f"machine: {os.cpu_count()} cores; load = the 1-minute load average before or "
        "after the run, whichever is higher (the wall clock is an upper bound when it "
        "exceeds the cores)\n"
    )
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"publish_{stamp}", "publish_latest"):
        (args.out / f"{name}.md").write_text(md, encoding="utf-8")
        (args.out / f"{name}.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

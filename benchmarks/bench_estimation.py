"""Estimation benchmark: domain means of 10 variables by 50 domains, design + estimation.

Times ``SurveyDesign(df, ids="psu", strata="stratum", weights="weight", nest=True)`` plus
``design.mean([y0..y9], by="domain")`` against

- the bare-numpy bound (``benchmarks/_numpy_bound.py``: the same estimates and SEs from
  PSU-by-domain totals made with ``np.bincount``), which is also the correctness reference;
- R ``survey``: ``svydesign`` + ``svyby(~y0+...+y9, ~domain, d, svymean)`` timed with
  ``system.time`` inside R (only if ``Rscript`` is on PATH);
- ``svy`` 0.35 and ``samplics`` run by ``--peer-python`` (default ``/work/bench-venv/bin/python``)
  in subprocesses (``benchmarks/_peers.py``), on a parquet file written once.

Every peer's numbers are compared with the bound before its time counts (``agree`` column).
Peak memory of trustsurvey is measured with ``tracemalloc`` in a separate, untimed run and is
compared with the input frame's ``memory_usage(deep=True)``.

usage::

    .venv/bin/python benchmarks/bench_estimation.py                   # 10k, 100k, 1M, all peers
    .venv/bin/python benchmarks/bench_estimation.py --sizes 2000 --no-peers --repeat 1

Results: ``benchmarks/_results/estimation_<UTC time>.{md,json}`` and ``estimation_latest.*``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._data import default_shape, make_survey, variable_names  # noqa: E402
from benchmarks._numpy_bound import domain_means  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_PEER_PYTHON = "/work/bench-venv/bin/python"
BY, STRATA, PSU, WEIGHT = "domain", "stratum", "psu", "weight"
RTOL = 1e-8  # agreement of estimates and SEs with the numpy bound
TARGETS = {"r": 50.0, "svy": 10.0, "samplics": 10.0, "bound": 3.0, "memory": 3.0}
KEY = ["domain", "variable"]


# ----------------------------------------------------------------------------- helpers
def best_times(fns: list[Callable[[], Any]], repeat: int) -> list[tuple[float, Any]]:
    """Smallest wall time of ``repeat`` calls of each function, and its last result.

    The calls are interleaved (a, b, a, b, ...) so that both see the same background load on a
    shared machine; the ratio of the minima is then a fair ratio.
    """
    best = [math.inf] * len(fns)
    out: list[Any] = [None] * len(fns)
    for _ in range(max(1, repeat)):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            out[i] = fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return list(zip(best, out, strict=True))


def max_rel_diff(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Largest relative difference of ``estimate`` and ``se`` after aligning on domain/variable."""
    m = a.merge(b, on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
    if (m["_merge"] != "both").any() or len(m) != len(a):
        return math.inf
    worst = 0.0
    for col in ("estimate", "se"):
        x, y = m[f"{col}_a"].to_numpy(float), m[f"{col}_b"].to_numpy(float)
        scale = np.maximum(np.abs(y), 1e-300)
        worst = max(worst, float(np.max(np.abs(x - y) / scale)))
    return worst


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Long table with int ``domain``, str ``variable``, float ``estimate``/``se``."""
    out = df[["domain", "variable", "estimate", "se"]].copy()
    out["domain"] = out["domain"].astype(np.int64)
    out["variable"] = out["variable"].astype(str)
    return out.sort_values(KEY, ignore_index=True)


# ----------------------------------------------------------------------------- trustsurvey
def trustsurvey_available() -> str | None:
    """None if ``trustsurvey.design.SurveyDesign`` imports, else the reason it does not."""
    try:
        from trustsurvey.design import SurveyDesign  # noqa: F401
    except (ImportError, AttributeError) as exc:
        return f"trustsurvey.design.SurveyDesign is not available ({exc})"
    return None


def run_trustsurvey(df: pd.DataFrame, ys: list[str]) -> pd.DataFrame:
    """The timed unit: design construction plus domain means of ``ys``."""
    from trustsurvey.design import SurveyDesign

    design = SurveyDesign(df, ids=PSU, strata=STRATA, weights=WEIGHT, nest=True)
    return design.mean(ys, by=BY)


def tidy_trustsurvey(res: pd.DataFrame) -> pd.DataFrame:
    """``SurveyDesign.mean(list, by=)`` long result (index domain, variable) -> long table."""
    flat = res.reset_index()
    if "variable" not in flat.columns:
        extra = [n for n in (res.index.names or []) if n not in (BY, None)]
        if not extra:
            raise RuntimeError(f"cannot find the variable level in index {res.index.names}")
        flat = flat.rename(columns={extra[0]: "variable"})
    return normalise(flat)


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated (tracemalloc) while ``fn`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


# ----------------------------------------------------------------------------- peers
def run_r(csv: Path, workdir: Path, timeout: float) -> dict[str, Any]:
    out = workdir / "r_out.csv"
    cmd = ["Rscript", str(HERE / "_peer_r.R"), str(csv), str(out)]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)
    tab = pd.read_csv(out)
    return {
        "seconds": float(tab["seconds"].iloc[0]),
        "version": f"survey {tab['version'].iloc[0]}",
        "rows": normalise(tab),
    }


def run_python_peer(
    peer: str, parquet: Path, workdir: Path, python: str, timeout: float
) -> dict[str, Any]:
    out = workdir / f"{peer}_out.json"
    cmd = [python, str(HERE / "_peers.py"), peer, str(parquet), str(out)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout, env=env)
    res = json.loads(out.read_text(encoding="utf-8"))
    return {
        "seconds": float(res["seconds"]),
        "version": f"{peer} {res['version']}",
        "rows": normalise(pd.DataFrame(res["rows"])),
    }


def peer_entry(
    name: str,
    runner: Callable[[Path, Path], dict[str, Any]],
    df: pd.DataFrame,
    n_run: int,
    n_target: int,
    seed: int,
    workdir: Path,
) -> dict[str, Any]:
    """Run a peer on ``n_run`` rows; extrapolate linearly to ``n_target`` if smaller."""
    if n_run != len(df):
        df = make_survey(n_run, seed=seed)
    sub = workdir / f"{name}_{n_run}"
    sub.mkdir(exist_ok=True)
    parquet, csv = sub / "data.parquet", sub / "data.csv"
    df.to_parquet(parquet, index=False)
    if name == "r":
        df.to_csv(csv, index=False)
    try:
        res = runner(parquet if name != "r" else csv, sub)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        return {"status": "failed", "error": f"{exc} {str(detail)[-800:]}"}
    bound = normalise(domain_means(df, variable_names(), **_bound_kw()))
    diff = max_rel_diff(res["rows"], bound)
    seconds = res["seconds"]
    entry: dict[str, Any] = {
        "status": "ok",
        "version": res["version"],
        "rows_run": n_run,
        "seconds_measured": seconds,
        "seconds": seconds * n_target / n_run,
        "extrapolated": n_run != n_target,
        "max_rel_diff_vs_bound": diff,
        "agree": diff <= RTOL,
    }
    return entry


def _bound_kw() -> dict[str, str]:
    return {"by": BY, "strata": STRATA, "psu": PSU, "weights": WEIGHT}


# ----------------------------------------------------------------------------- one size
def bench_size(n: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    ys = variable_names()
    df = make_survey(n, seed=args.seed)
    shape = default_shape(n)
    input_bytes = int(df.memory_usage(deep=True).sum())
    row: dict[str, Any] = {
        "rows": n,
        "shape": shape.__dict__,
        "input_bytes": input_bytes,
        "load_average_1min": os.getloadavg()[0],
    }
    print(
        f"\n== {n:,} rows: {shape.n_strata} strata, {shape.n_psu} PSUs, {shape.n_domains} domains"
    )

    reason = trustsurvey_available()
    fns: list[Callable[[], Any]] = [lambda: domain_means(df, ys, **_bound_kw())]
    if reason is None:
        fns.append(lambda: run_trustsurvey(df, ys))
    timed = best_times(fns, args.repeat)
    t_bound, bound = timed[0]
    bound = normalise(bound)
    row["bound_seconds"] = t_bound
    print(f"numpy bound   {t_bound:8.3f} s")
    if args.dump_dir:
        bound.to_csv(Path(args.dump_dir) / f"bound_{n}.csv", index=False)

    if reason is None:
        t_ts, res = timed[1]
        ts = tidy_trustsurvey(res)
        diff = max_rel_diff(ts, bound)
        peak = peak_memory(lambda: run_trustsurvey(df, ys))
        row["trustsurvey"] = {
            "status": "ok",
            "seconds": t_ts,
            "max_rel_diff_vs_bound": diff,
            "agree": diff <= RTOL,
            "peak_bytes": peak,
            "memory_ratio": peak / input_bytes,
            "ratio_to_bound": t_ts / t_bound,
        }
        print(
            f"trustsurvey   {t_ts:8.3f} s  ({t_ts / t_bound:.2f}x bound, max rel diff {diff:.1e},"
            f" peak {peak / 1e6:.1f} MB = {peak / input_bytes:.2f}x input)"
        )
        if args.dump_dir:
            ts.to_csv(Path(args.dump_dir) / f"trustsurvey_{n}.csv", index=False)
    else:
        row["trustsurvey"] = {"status": "unavailable", "error": reason}
        print(f"trustsurvey   skipped: {reason}")

    row["peers"] = {}
    for peer in args.peer_list:
        entry = _run_peer(peer, df, n, args, workdir)
        ts_s = row["trustsurvey"].get("seconds")
        if entry.get("status") == "ok" and ts_s:
            entry["ratio_to_trustsurvey"] = entry["seconds"] / ts_s
        row["peers"][peer] = entry
        print(f"{peer:<13} {_fmt_peer(entry)}")
    return row


def _run_peer(
    peer: str, df: pd.DataFrame, n: int, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    if peer == "r":
        if shutil.which("Rscript") is None:
            return {"status": "skipped", "error": "Rscript not on PATH"}
        return peer_entry("r", lambda p, w: run_r(p, w, args.timeout), df, n, n, args.seed, workdir)
    if args.peer_python is None:
        return {"status": "skipped", "error": f"no peer interpreter ({DEFAULT_PEER_PYTHON})"}
    n_run = n
    if peer == "samplics" and not args.full and n > args.samplics_max_rows:
        n_run = args.samplics_max_rows
    cached = _PEER_CACHE.get((peer, n_run))
    if cached is not None and cached.get("status") == "ok":
        # the same smaller run already made for an earlier size: reuse, rescale
        return {**cached, "seconds": cached["seconds_measured"] * n / n_run, "extrapolated": True}
    entry = peer_entry(
        peer,
        lambda p, w: run_python_peer(peer, p, w, args.peer_python, args.timeout),
        df,
        n_run,
        n,
        args.seed,
        workdir,
    )
    _PEER_CACHE[(peer, n_run)] = entry
    return entry


_PEER_CACHE: dict[tuple[str, int], dict[str, Any]] = {}


def _fmt_peer(e: dict[str, Any]) -> str:
    if e.get("status") != "ok":
        return f"{e.get('status')}: {e.get('error', '')[:300]}"
    ex = f" (extrapolated from {e['rows_run']:,} rows)" if e["extrapolated"] else ""
    ratio = f", {e['ratio_to_trustsurvey']:.1f}x trustsurvey" if "ratio_to_trustsurvey" in e else ""
    return (
        f"{e['seconds']:8.3f} s{ex}{ratio}, agree={e['agree']} ({e['max_rel_diff_vs_bound']:.1e})"
    )


# ----------------------------------------------------------------------------- report
def growth(rows: list[dict[str, Any]], get: Callable[[dict[str, Any]], float | None]) -> str:
    """Time-growth exponents between consecutive sizes (1.0 = linear)."""
    parts = []
    for a, b in itertools.pairwise(rows):
        ta, tb = get(a), get(b)
        if ta and tb:
            parts.append(f"{math.log(tb / ta) / math.log(b['rows'] / a['rows']):.2f}")
    return ", ".join(parts) if parts else "n/a"


def markdown(result: dict[str, Any]) -> str:
    rows = result["sizes"]
    peers = result["peers"]
    head = ["rows", "numpy bound s", "trustsurvey s", "ts / bound", "peak MB", "peak / input"]
    for p in peers:
        head += [f"{p} s", f"{p} / ts"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ts = r["trustsurvey"]
        ok = ts.get("status") == "ok"
        cells = [
            f"{r['rows']:,}",
            f"{r['bound_seconds']:.3f}",
            f"{ts['seconds']:.3f}" if ok else "n/a",
            _mark(ts.get("ratio_to_bound"), TARGETS["bound"], below=True) if ok else "n/a",
            f"{ts['peak_bytes'] / 1e6:.0f}" if ok else "n/a",
            _mark(ts.get("memory_ratio"), TARGETS["memory"], below=True) if ok else "n/a",
        ]
        for p in peers:
            e = r["peers"].get(p, {})
            if e.get("status") == "ok":
                star = "*" if e["extrapolated"] else ""
                bad = "" if e["agree"] else " (disagrees!)"
                cells.append(f"{e['seconds']:.2f}{star}{bad}")
                cells.append(_mark(e.get("ratio_to_trustsurvey"), TARGETS[p], below=False))
            else:
                cells += [e.get("status", "n/a"), "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    loads = ", ".join(f"{r['load_average_1min']:.1f}" for r in rows)
    notes = [
        "",
        f"Targets: R >= {TARGETS['r']:.0f}x, svy and samplics >= {TARGETS['svy']:.0f}x slower "
        f"than trustsurvey; trustsurvey <= {TARGETS['bound']:.0f}x the numpy bound; peak memory "
        f"<= {TARGETS['memory']:.0f}x the input frame. ok/MISS mark each ratio.",
        "`*` = extrapolated linearly from a smaller run (samplics; see `--full`).",
        f"Time growth exponent between sizes (1 = linear): trustsurvey "
        f"{growth(rows, lambda r: r['trustsurvey'].get('seconds'))}; numpy bound "
        f"{growth(rows, lambda r: r['bound_seconds'])}.",
        f"Best of {result['repeat']} interleaved runs for trustsurvey and the bound; "
        f"peers run once. Machine: {result['machine']}; 1-minute load average at the start "
        f"of each size: {loads} (a loaded "
        "machine slows the peers' single runs more than the best-of runs).",
    ]
    versions = {
        p: e.get("version") for r in rows for p, e in r["peers"].items() if e.get("version")
    }
    if versions:
        notes.append("Peers: " + ", ".join(f"{v}" for v in versions.values()) + ".")
    return "\n".join(["# Estimation benchmark", "", *lines, *notes, ""])


def _mark(x: float | None, target: float, *, below: bool) -> str:
    if x is None:
        return "n/a"
    ok = x <= target if below else x >= target
    return f"{x:.2f} {'ok' if ok else 'MISS'}"


# ----------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--peers", default="r,svy,samplics", help="comma list of r, svy, samplics")
    p.add_argument("--no-peers", action="store_true", help="only trustsurvey and the bound")
    p.add_argument(
        "--peer-python",
        default=DEFAULT_PEER_PYTHON if Path(DEFAULT_PEER_PYTHON).exists() else None,
        help="interpreter with svy 0.35 and samplics (default /work/bench-venv/bin/python)",
    )
    p.add_argument("--full", action="store_true", help="run samplics at every size (slow)")
    p.add_argument(
        "--samplics-max-rows",
        type=int,
        default=100_000,
        help="without --full, larger sizes run samplics here and extrapolate linearly",
    )
    p.add_argument(
        "--repeat", type=int, default=5, help="interleaved runs of trustsurvey and the bound (best)"
    )
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per peer run")
    p.add_argument("--out-dir", default=str(HERE / "_results"))
    p.add_argument("--dump-dir", default=None, help="write bound/trustsurvey estimates as CSV")
    args = p.parse_args(argv)
    args.peer_list = [] if args.no_peers else [x for x in args.peers.split(",") if x]
    unknown = set(args.peer_list) - {"r", "svy", "samplics"}
    if unknown:
        p.error(f"unknown peers {sorted(unknown)}")
    if args.peer_python is None and {"svy", "samplics"} & set(args.peer_list):
        print(
            f"note: svy/samplics skipped: {DEFAULT_PEER_PYTHON} does not exist; create it with "
            "`python3.11 -m venv /work/bench-venv && /work/bench-venv/bin/pip install "
            "'svy==0.35.*' samplics` or pass --peer-python"
        )
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.dump_dir:
        Path(args.dump_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench_estimation_") as tmp:
        sizes = [bench_size(n, args, Path(tmp)) for n in args.sizes]
    result = {
        "benchmark": "estimation",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cpu, python {sys.version.split()[0]}, numpy {np.__version__}",
        "repeat": args.repeat,
        "rtol": RTOL,
        "targets": TARGETS,
        "peers": args.peer_list,
        "sizes": sizes,
    }
    md = markdown(result)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"estimation_{stamp}", "estimation_latest"):
        (out_dir / f"{name}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        (out_dir / f"{name}.md").write_text(md, encoding="utf-8")
    print("\n" + md)
    print(f"written: {out_dir / 'estimation_latest.md'} and .json")
    return result


if __name__ == "__main__":
    main()

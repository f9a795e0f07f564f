"""Weighting benchmark: raking 1,000,000 respondents to 12 + 25 + 2 margin cells.

Data (seeded, :func:`make_weighting_data`): respondents with correlated characteristics —
region (25, unequal sizes), settlement type (2, depends on region), sex (2, women
over-represented), age group (6, depends on sex and settlement) — and unit design weights
(weightipy cannot start from other weights). Margins: sex × age group crossed (12 cells),
region (25), settlement type (2), population counts summing to ``n`` that agree with each
other (made from the sample cells times known factors, so IPF has an exact solution).
Raked to a largest relative margin error of 1e-10.

Timed (wall clock, best of ``--repeat``; median reported too):

- trustsurvey: ``SurveyDesign(df, ids=None, weights="w")`` + ``rake(design, margins)``
  (design construction included), and ``rake`` alone on a built design;
- the numpy bound: factorise the margin columns, count the 600 cells, iterate on cell
  factors, expand to rows (:func:`numpy_bound`);
- peers in their own interpreter (``--peer-python``, default ``/work/bench-venv/bin/python``):
  weightipy (``scheme_from_dict`` + ``weight_dataframe``, convcrit 0 so it runs to convergence),
  svy 0.35 (``Sample(df, Design(wgt=)).weighting.rake(controls=, tol=1e-10)``), and R
  ``survey::rake`` (``control = list(maxit = 1000, epsilon = 1e-13)``) via ``Rscript``, each
  timed inside its own process on a parquet/CSV written once; each peer's weights are compared
  with trustsurvey's (largest relative difference; 1e-8 required).

Peak memory: ``tracemalloc`` over design + rake, against the bytes of the input columns.
Time growth: trustsurvey at 10k, 100k, 1M rows.

usage::

    .venv/bin/python benchmarks/bench_weighting.py                     # 1M rows, all peers
    .venv/bin/python benchmarks/bench_weighting.py --rows 2000 --no-peers --repeat 1  # smoke

Results: ``benchmarks/_results/weighting_<UTC time>.{md,json}`` and ``weighting_latest.*``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DEFAULT_PEER_PYTHON = "/work/bench-venv/bin/python"
TOL = 1e-10
WEIGHT_RTOL = 1e-8
TARGETS = {"weightipy": 20.0, "svy": 25.0, "r": 200.0, "bound": 2.0, "memory": 2.0}
MARGIN_COLUMNS = ("sex", "agegrp", "region", "settlement")


# ---------------------------------------------------------------- data
def make_weighting_data(n: int, *, seed: int = 20261122) -> pd.DataFrame:
    """``n`` respondents with correlated sex, age group, region, settlement; unit weights.

    Codes are float64 as SPSS files deliver them; ``sexage`` (1..12) is sex × age group as one
    column for peers that cannot cross margins.
    """
    rng = np.random.default_rng(seed)
    region_p = rng.dirichlet(np.full(25, 3.0))
    region = rng.choice(25, size=n, p=region_p)
    urban_p = rng.uniform(0.2, 0.9, 25)[region]
    settlement = (rng.random(n) < urban_p).astype(np.int64)  # 1 = urban
    sex = (rng.random(n) < 0.58).astype(np.int64)  # 1 = woman (over-represented)
    base = np.array([0.08, 0.13, 0.16, 0.18, 0.2, 0.25])
    shift = 0.5 * sex - 0.6 * settlement
    logits = np.log(base)[None, :] + np.outer(shift, np.linspace(-1, 1, 6))
    u = rng.random(n)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    agegrp = (u[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 5)
    frame = pd.DataFrame(
        {
            "sex": (sex + 1).astype(float),
            "agegrp": (agegrp + 1).astype(float),
            "region": (region + 1).astype(float),
            "settlement": (settlement + 1).astype(float),
            "w": np.ones(n),
        }
    )
    frame["sexage"] = (frame["sex"] - 1) * 6 + frame["agegrp"]
    return frame


def population_margins(frame: pd.DataFrame, *, seed: int = 7) -> dict[Any, dict[Any, float]]:
    """Margins that agree: sample cell counts times known factors, summed, scaled to ``n``."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.6, 1.6, 12)
    b = rng.uniform(0.7, 1.4, 25)
    c = np.array([1.3, 0.85])
    sa = frame["sexage"].to_numpy(int) - 1
    rg = frame["region"].to_numpy(int) - 1
    st = frame["settlement"].to_numpy(int) - 1
    m = a[sa] * b[rg] * c[st]
    m *= len(frame) / m.sum()
    by_sa = np.bincount(sa, weights=m, minlength=12)
    by_rg = np.bincount(rg, weights=m, minlength=25)
    by_st = np.bincount(st, weights=m, minlength=2)
    return {
        ("sex", "agegrp"): {
            (s, g): by_sa[(s - 1) * 6 + g - 1] for s in (1, 2) for g in range(1, 7)
        },
        "region": {r + 1: by_rg[r] for r in range(25)},
        "settlement": {s + 1: by_st[s] for s in range(2)},
    }


def flat_margins(margins: dict[Any, dict[Any, float]]) -> dict[str, dict[int, float]]:
    """The same margins with sex × age group as the single column ``sexage``."""
    out = {"sexage": {(s - 1) * 6 + g: v for (s, g), v in margins[("sex", "agegrp")].items()}}
    out["region"] = {int(k): v for k, v in margins["region"].items()}
    out["settlement"] = {int(k): v for k, v in margins["settlement"].items()}
    return out


# ---------------------------------------------------------------- the numpy bound
def numpy_bound(frame: pd.DataFrame, flat: dict[str, dict[int, float]]) -> np.ndarray:
    """Plain numpy raking: factorise, count cells, IPF on cell factors, expand to rows."""
    w = frame["w"].to_numpy()
    cols = ["sexage", "region", "settlement"]
    codes, dims = [], []
    for c in cols:
        v = frame[c].to_numpy().astype(np.int64)
        lo = v.min()
        v -= lo
        codes.append(v)
        dims.append(int(v.max()) + 1)
    cell = codes[0]
    for v, d in zip(codes[1:], dims[1:], strict=True):
        cell *= d
        cell += v
    ncell = int(np.prod(dims))
    cw = np.bincount(cell, weights=w, minlength=ncell)
    grid = np.unravel_index(np.arange(ncell), dims)
    targets = [
        np.array([flat[c].get(k + 1, 0.0) for k in range(d)])
        for c, d in zip(cols, dims, strict=True)
    ]
    f = np.ones(ncell)
    for _ in range(1000):
        for g, t in zip(grid, targets, strict=True):
            got = np.bincount(g, weights=cw * f, minlength=t.size)
            f *= np.where(got > 0, t / np.where(got > 0, got, 1), 1.0)[g]
        worst = max(
            float(np.max(np.abs(np.bincount(g, weights=cw * f, minlength=t.size) - t) / t))
            for g, t in zip(grid, targets, strict=True)
        )
        if worst <= TOL:
            break
    return w * f[cell]


# ---------------------------------------------------------------- trustsurvey
def run_trustsurvey(frame: pd.DataFrame, margins: dict) -> np.ndarray:
    from trustsurvey.design import SurveyDesign
    from trustsurvey.weighting import rake

    design = SurveyDesign(frame, ids=None, weights="w")
    return rake(design, margins, tol=TOL).weights.to_numpy()


def _timeit(fn, repeat: int) -> tuple[float, float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def _interleaved(fns: dict[str, Any], repeat: int) -> dict[str, tuple[float, float, Any]]:
    """Best and median time of each function, run in turn so shared load hits all alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    outs: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {k: (min(v), statistics.median(v), outs[k]) for k, v in times.items()}


def peak_memory(frame: pd.DataFrame, margins: dict) -> tuple[float, float]:
    """Peak traced bytes of design + rake, and of rake alone on a built design."""
    import tracemalloc

    from trustsurvey.design import SurveyDesign
    from trustsurvey.weighting import rake

    tracemalloc.start()
    run_trustsurvey(frame, margins)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    design = SurveyDesign(frame, ids=None, weights="w")
    tracemalloc.start()
    rake(design, margins, tol=TOL)
    peak_rake = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(peak), float(peak_rake)


# ---------------------------------------------------------------- peers (peer interpreter)
_R_SCRIPT = r"""
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1])
pop <- read.csv(args[2])
mk <- function(v) {
  p <- pop[pop$var == v, ]; d <- data.frame(x = p$code, Freq = p$target); names(d)[1] <- v; d
}
t <- system.time({
  d <- svydesign(ids = ~1, weights = ~w, data = df)
  rk <- rake(d, list(~sexage, ~region, ~settlement),
             list(mk("sexage"), mk("region"), mk("settlement")),
             control = list(maxit = 1000, epsilon = 1e-13))
})[["elapsed"]]
writeLines(format(weights(rk), digits = 17), args[3])
cat(t, "\n", file = args[4])
"""


def peer_main(argv: list[str]) -> int:
    """``--peer NAME DATA.parquet MARGINS.json OUT.npy`` (runs in the peer interpreter)."""
    name, data_path, margins_path, out_path = argv
    flat = {
        k: {int(c): float(v) for c, v in d.items()}
        for k, d in json.loads(Path(margins_path).read_text()).items()
    }
    if name == "weightipy":
        import weightipy

        df = pd.read_parquet(data_path)[["sexage", "region", "settlement"]]
        n = len(df)
        scheme_dict = {k: {c: 100.0 * v / n for c, v in d.items()} for k, d in flat.items()}
        t0 = time.perf_counter()
        scheme = weightipy.scheme_from_dict(
            scheme_dict, name="bench", rim_params={"convcrit": 0.0, "max_iterations": 1000}
        )
        out = weightipy.weight_dataframe(df, scheme, weight_column="rk")
        seconds = time.perf_counter() - t0
        weights = out["rk"].to_numpy(float)
        version = getattr(weightipy.version, "__version__", "")
    elif name == "svy":
        import polars as pl
        import svy

        df = pl.read_parquet(data_path)
        t0 = time.perf_counter()
        sample = svy.Sample(df, svy.Design(wgt="w"))
        raked = sample.weighting.rake(controls=flat, tol=TOL, max_iter=1000)
        seconds = time.perf_counter() - t0
        weights = raked.data["rk_wgt"].to_numpy()
        version = svy.__version__
    else:
        raise SystemExit(f"unknown peer {name}")
    np.save(out_path, weights)
    Path(out_path).with_suffix(".json").write_text(
        json.dumps({"peer": name, "version": str(version), "seconds": seconds})
    )
    return 0


def run_python_peer(
    name: str, peer_python: str, data_path: Path, margins_path: Path, tmp: Path
) -> dict[str, Any]:
    out = tmp / f"{name}.npy"
    proc = subprocess.run(
        [peer_python, __file__, "--peer", name, str(data_path), str(margins_path), str(out)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        return {"peer": name, "error": proc.stderr.strip().splitlines()[-3:]}
    info = json.loads(out.with_suffix(".json").read_text())
    info["weights"] = np.load(out)
    return info


def run_r(frame: pd.DataFrame, flat: dict, tmp: Path) -> dict[str, Any]:
    if shutil.which("Rscript") is None:
        return {"peer": "r", "error": "Rscript not found"}
    csv = tmp / "data.csv"
    frame[["sexage", "region", "settlement", "w"]].astype(
        {"sexage": int, "region": int, "settlement": int}
    ).to_csv(csv, index=False)
    pop = pd.DataFrame(
        [(v, c, t) for v, d in flat.items() for c, t in d.items()],
        columns=["var", "code", "target"],
    )
    pop.to_csv(tmp / "pop.csv", index=False)
    script = tmp / "rake.R"
    script.write_text(_R_SCRIPT)
    out, tfile = tmp / "r_weights.txt", tmp / "r_time.txt"
    proc = subprocess.run(
        ["Rscript", str(script), str(csv), str(tmp / "pop.csv"), str(out), str(tfile)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        return {"peer": "r", "error": proc.stderr.strip().splitlines()[-3:]}
    ver = subprocess.run(
        ["Rscript", "-e", "cat(as.character(packageVersion('survey')))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "peer": "r",
        "version": f"survey {ver}",
        "seconds": float(tfile.read_text().split()[0]),
        "weights": np.loadtxt(out),
    }


# ---------------------------------------------------------------- main
def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.abs(b)))


def run(args: argparse.Namespace) -> dict[str, Any]:
    frame = make_weighting_data(args.rows)
    margins = population_margins(frame)
    flat = flat_margins(margins)
    input_bytes = int(sum(frame[c].to_numpy().nbytes for c in (*MARGIN_COLUMNS, "w")))

    from trustsurvey.design import SurveyDesign
    from trustsurvey.weighting import rake

    design = SurveyDesign(frame, ids=None, weights="w")
    timed = _interleaved(
        {
            "full": lambda: run_trustsurvey(frame, margins),
            "rake": lambda: rake(design, margins, tol=TOL),
            "design": lambda: SurveyDesign(frame, ids=None, weights="w"),
            "bound": lambda: numpy_bound(frame, flat),
        },
        args.repeat,
    )
    (best, med, ours), (rbest, rmed, _), (dbest, dmed, _), (bbest, bmed, bound_w) = (
        timed["full"],
        timed["rake"],
        timed["design"],
        timed["bound"],
    )
    peak, peak_rake = peak_memory(frame, margins)
    rows: list[dict[str, Any]] = [
        {"name": "trustsurvey (design + rake)", "seconds": best, "median": med},
        {"name": "trustsurvey design construction only", "seconds": dbest, "median": dmed},
        {"name": "trustsurvey rake only", "seconds": rbest, "median": rmed},
        {
            "name": "numpy bound",
            "seconds": bbest,
            "median": bmed,
            "max_rel_diff": max_rel_diff(bound_w, ours),
        },
    ]
    result: dict[str, Any] = {
        "rows_n": args.rows,
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tol": TOL,
        "input_column_bytes": input_bytes,
        "peak_bytes": peak,
        "memory_ratio": peak / input_bytes,
        "peak_bytes_rake_only": peak_rake,
        "memory_ratio_rake_only": peak_rake / input_bytes,
        "bound_ratio": best / bbest,
        "rake_only_bound_ratio": rbest / bbest,
    }
    if args.growth:
        growth = {}
        for n in (10_000, 100_000, 1_000_000):
            if n > args.rows:
                break
            f = make_weighting_data(n)
            m = population_margins(f)
            growth[n] = _timeit(lambda f=f, m=m: run_trustsurvey(f, m), args.repeat)[0]
        result["growth_seconds"] = growth
    if not args.no_peers:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            data_path = tmp / "data.parquet"
            frame.astype({"sexage": int, "region": int, "settlement": int}).to_parquet(data_path)
            margins_path = tmp / "margins.json"
            margins_path.write_text(
                json.dumps({k: {str(c): v for c, v in d.items()} for k, d in flat.items()})
            )
            peers = [p for p in args.peers.split(",") if p]
            for peer in peers:
                if peer == "r":
                    info = run_r(frame, flat, tmp)
                elif not Path(args.peer_python).exists():
                    info = {"peer": peer, "error": f"no peer interpreter {args.peer_python}"}
                else:
                    info = run_python_peer(peer, args.peer_python, data_path, margins_path, tmp)
                row = {"name": peer, **{k: v for k, v in info.items() if k != "weights"}}
                if "weights" in info:
                    row["max_rel_diff"] = max_rel_diff(info["weights"], ours)
                    row["speedup"] = info["seconds"] / best
                    row["target_speedup"] = TARGETS[peer]
                rows.append(row)
    result["rows"] = rows
    return result


def to_markdown(res: dict[str, Any]) -> str:
    lines = [
        f"# Weighting benchmark ({res['rows_n']:,} rows, tol {res['tol']:g}, {res['when']})",
        "",
        "| what | best s | median s | trustsurvey faster by | target | max rel. weight diff |",
        "|---|---|---|---|---|---|",
    ]
    for r in res["rows"]:
        if "error" in r:
            lines.append(f"| {r['name']} | error: {r['error']} | | | | |")
            continue
        lines.append(
            f"| {r['name']} {r.get('version', '')} | {r['seconds']:.4f} | "
            f"{r.get('median', float('nan')):.4f} | "
            f"{r.get('speedup', float('nan')):.1f}× | {r.get('target_speedup', '')} | "
            f"{r.get('max_rel_diff', float('nan')):.2e} |"
        )
    lines += [
        "",
        f"- design + rake / numpy bound: {res['bound_ratio']:.2f} (target ≤ 2); "
        f"rake alone / bound: {res['rake_only_bound_ratio']:.2f}",
        f"- peak memory (tracemalloc, design + rake): {res['peak_bytes'] / 1e6:.1f} MB = "
        f"{res['memory_ratio']:.2f} × the input columns ({res['input_column_bytes'] / 1e6:.1f} MB)",
        f"- peak memory of rake alone (design built beforehand): "
        f"{res['peak_bytes_rake_only'] / 1e6:.1f} MB = {res['memory_ratio_rake_only']:.2f} ×",
    ]
    if "growth_seconds" in res:
        lines.append(
            "- growth: "
            + ", ".join(f"{int(n):,} rows {s:.4f} s" for n, s in res["growth_seconds"].items())
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--peer":
        return peer_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peers", default="weightipy,svy,r")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-growth", dest="growth", action="store_false")
    parser.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    parser.add_argument("--out", type=Path, default=HERE / "_results")
    args = parser.parse_args(argv)
    if str(ROOT / "src") not in sys.path and os.environ.get("PYTHONPATH") is None:
        sys.path.insert(0, str(ROOT / "src"))
    res = run(args)
    md = to_markdown(res)
    print(md)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"weighting_{stamp}", "weighting_latest"):
        (args.out / f"{name}.md").write_text(md)
        (args.out / f"{name}.json").write_text(json.dumps(res, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run one Python peer on a parquet file; time design construction plus estimation.

Runs under the *peer* interpreter (``/work/bench-venv/bin/python``, which has ``svy`` 0.35 and
``samplics``), never under the project's own virtualenv, so the peers' dependencies cannot
disturb the project's pinned stack. It does not import trustsurvey.

usage: python _peers.py {svy,samplics} DATA.parquet OUT.json

OUT.json: ``{"peer", "version", "seconds", "rows": [{"domain", "variable", "estimate", "se"}]}``.
Only the design + ``mean by domain`` calls are timed (not reading the file).
"""

from __future__ import annotations

import json
import sys
import time
import warnings

STRATA, PSU, WEIGHT, DOMAIN = "stratum", "psu", "weight", "domain"


def _variables(columns: list[str]) -> list[str]:
    return [c for c in columns if c.startswith("y")]


def run_svy(path: str) -> dict:
    """svy 0.35: ``Sample(data, Design(stratum, psu, wgt)).estimation.mean(ys, by=domain)``."""
    import polars as pl
    import svy

    df = pl.read_parquet(path)
    ys = _variables(df.columns)
    t0 = time.perf_counter()
    sample = svy.Sample(df, svy.Design(stratum=STRATA, psu=PSU, wgt=WEIGHT))
    results = sample.estimation.mean(ys, by=DOMAIN)
    seconds = time.perf_counter() - t0
    rows = []
    for y, res in zip(ys, results, strict=True):
        tab = res.to_polars()
        for d, e, s in zip(tab[DOMAIN], tab["est"], tab["se"], strict=True):
            rows.append({"domain": d, "variable": y, "estimate": e, "se": s})
    return {"peer": "svy", "version": svy.__version__, "seconds": seconds, "rows": rows}


def run_samplics(path: str) -> dict:
    """samplics: one ``TaylorEstimator("mean").estimate(..., domain=)`` per variable."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import samplics
        from samplics.estimation import TaylorEstimator
        from samplics.utils import PopParam

    df = pd.read_parquet(path)
    ys = _variables(list(df.columns))
    t0 = time.perf_counter()
    fitted = []
    for y in ys:
        est = TaylorEstimator(PopParam.mean)
        est.estimate(
            y=df[y],
            samp_weight=df[WEIGHT],
            stratum=df[STRATA],
            psu=df[PSU],
            domain=df[DOMAIN],
        )
        fitted.append((y, est))
    seconds = time.perf_counter() - t0
    rows = [
        {"domain": int(d), "variable": y, "estimate": float(e), "se": float(est.stderror[d])}
        for y, est in fitted
        for d, e in est.point_est.items()
    ]
    return {"peer": "samplics", "version": samplics.__version__, "seconds": seconds, "rows": rows}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("svy", "samplics"):
        print(__doc__, file=sys.stderr)
        return 2
    peer, path, out = argv
    result = run_svy(path) if peer == "svy" else run_samplics(path)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    print(f"{peer}: {result['seconds']:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Bounded load test of the production dashboard server (gunicorn) on 127.0.0.1.

The script writes a bundle (the synthetic demo study, or ``--bundle PATH``), starts
``gunicorn trustsurvey.dashboard.wsgi:application`` on a free 127.0.0.1 port and runs
``--clients`` concurrent clients (threads, one ``requests.Session`` each) for ``--duration``
seconds. Each client first fetches the page and everything it links (a browser's cold load,
then cached) and then repeats, with a think time between actions (uniform on
``[think/2, 3*think/2]``; 0 for a closed-loop stress run), a random action:

* page load (25 %): ``/`` + ``/_dash-layout`` + ``/_dash-dependencies`` + the shell callback;
* callback (60 %): a page callback with filter values drawn from the offered ones;
* download (15 %): the CSV or XLSX of a table shown earlier.

Every request is timed (p50 / p95 / max over all, and per kind); an error is a non-200
answer, a callback answer without ``response``, or an exception. The RSS of the gunicorn
master and its workers (``/proc/<pid>/status``) is sampled every ``--sample`` seconds;
memory growth is the mean total RSS of the last 10 s minus that of the first 10 s.
Every loop is bounded in time and count. Results: ``benchmarks/_results/load_<UTC>.json`` and
``.md`` (and ``load_latest.*``). Target: zero errors, p95 < 200 ms, no steady memory growth.

usage: python benchmarks/bench_load.py [--clients 50] [--duration 60] [--workers 2]
       [--think 1.0] [--bundle PATH] [--out DIR]

>>> summarise([0.010, 0.020, 0.030, 0.040])["p50_ms"]
25.0
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import requests

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "_results"
SRC = HERE.parent / "src"
HOST = "127.0.0.1"
CALLBACK = "/_dash-update-component"
MAX_ACTIONS_PER_CLIENT = 100_000
TIMEOUT = 30.0


# --- server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def demo_bundle(out: Path) -> Path:
    """The synthetic demo study's bundle written to ``out``."""
    sys.path.insert(0, str(SRC))
    from trustsurvey.publish.bundle import write_bundle
    from trustsurvey.publish.fixture import synthetic_meta, synthetic_tables

    return write_bundle(synthetic_tables(), out, study_meta=synthetic_meta())


def start_gunicorn(bundle: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [
        str(gunicorn) if gunicorn.exists() else "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--log-level",
        "warning",
        "trustsurvey.dashboard.wsgi:application",
    ]
    env = dict(os.environ, TRUSTSURVEY_BUNDLE=str(bundle), PYTHONPATH=str(SRC))
    for key in ("TRUSTSURVEY_DASHBOARD_USER", "TRUSTSURVEY_DASHBOARD_PASSWORD"):
        env.pop(key, None)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(base: str, proc: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"gunicorn exited with {proc.returncode}: {err[-2000:]}")
        try:
            if requests.get(base + "/_dash-layout", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the dashboard did not answer on {base} within {limit:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# --- memory -----------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc/<pid>/task/*/children)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def sample_memory(
    master: int, stop_at: threading.Event, every: float, out: list[dict[str, float]]
) -> None:
    t0 = time.monotonic()
    for _ in range(100_000):  # bounded; ends with the run
        pids = [master, *children(master)]
        out.append(
            {
                "t": round(time.monotonic() - t0, 2),
                "rss_mib": sum(rss_kib(p) for p in pids) / 1024,
                "processes": len(pids),
            }
        )
        if stop_at.wait(every):
            return


def memory_growth(samples: list[dict[str, float]], window: float = 10.0) -> dict[str, float]:
    """Mean total RSS of the first and last ``window`` seconds and the difference (MiB).

    >>> s = [{"t": t, "rss_mib": 100.0 + t / 10} for t in range(61)]
    >>> g = memory_growth(s)
    >>> g["growth_mib"], g["slope_after_warmup_mib_per_min"]
    (5.0, 6.0)
    """
    if not samples:
        return {"first_mib": float("nan"), "last_mib": float("nan"), "growth_mib": float("nan")}
    end = samples[-1]["t"]
    first = [s["rss_mib"] for s in samples if s["t"] <= window]
    last = [s["rss_mib"] for s in samples if s["t"] >= end - window]
    a, b = float(np.mean(first)), float(np.mean(last))
    out = {"first_mib": round(a, 1), "last_mib": round(b, 1), "growth_mib": round(b - a, 1)}
    warm = [(s["t"], s["rss_mib"]) for s in samples if s["t"] >= window]
    if len(warm) >= 3 and warm[-1][0] > warm[0][0]:  # after the caches have filled
        t, r = np.array(warm).T
        out["slope_after_warmup_mib_per_min"] = round(float(np.polyfit(t, r, 1)[0]) * 60, 2)
    return out


# --- the client -------------------------------------------------------------------------


def parse_outputs(output: str) -> list[dict[str, Any]]:
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    outs = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        outs.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop})
    return outs


def callback_body(dep: dict[str, Any], inputs: list[Any], lang: str) -> dict[str, Any]:
    outs = parse_outputs(dep["output"])
    ins = [{**i, "value": v} for i, v in zip(dep["inputs"], inputs, strict=True)]
    state = [{**s, "value": lang} for s in dep["state"]]
    ident = ins[0]["id"]
    return {
        "output": dep["output"],
        "outputs": outs if len(outs) > 1 else outs[0],
        "inputs": ins,
        "state": state,
        "changedPropIds": [f"{ident}.{ins[0]['property']}"],
    }


def download_body(page: str, shown: dict[str, Any], fmt: str) -> dict[str, Any]:
    ids = [{"type": "dl-csv", "page": page}, {"type": "dl-xlsx", "page": page}]
    pick = 0 if fmt == "csv" else 1
    return {
        "output": '{"page":["MATCH"],"type":"download"}.data',
        "outputs": {"id": {"type": "download", "page": page}, "property": "data"},
        "inputs": [
            {"id": ids[0], "property": "n_clicks", "value": 1 - pick},
            {"id": ids[1], "property": "n_clicks", "value": pick},
        ],
        "state": [{"id": {"type": "shown", "page": page}, "property": "data", "value": shown}],
        "changedPropIds": [json.dumps(ids[pick], separators=(",", ":")) + ".n_clicks"],
    }


def walk(node: Any):  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        if "props" in node and "type" in node:
            yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


PAGE_CALLBACKS = {
    "/": ("overview", ["overview-outcome", "overview-groups"]),
    "/indicators": ("indicators", ["indicators-outcome", "indicators-group"]),
    "/communities": ("communities", ["communities-outcome", "communities-wave"]),
    "/problems": ("problems", ["problems-group", "problems-wave"]),
    "/focus-groups": ("focus_groups", ["focus_groups-wave"]),
}


def scenarios(base: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Callback bodies (every page, offered filter values), shell bodies and linked files."""
    s = requests.Session()
    html = s.get(base + "/", timeout=TIMEOUT).text
    linked = sorted(set(re.findall(r'(?:src|href)="(/[^"]+)"', html)))
    deps = s.get(base + "/_dash-dependencies", timeout=TIMEOUT).json()
    by_first = {}
    for d in deps:
        ident = d["inputs"][0]["id"]
        by_first[json.loads(ident)["type"] if ident.startswith("{") else ident] = d
    shells, bodies = [], []
    for lang in ("uk", "en"):
        for path, (_page, ids) in PAGE_CALLBACKS.items():
            shell = callback_body(by_first["url"], [path, lang], lang)
            shells.append(shell)
            content = s.post(base + CALLBACK, json=shell, timeout=TIMEOUT).json()
            opts: dict[str, list[Any]] = {}
            for comp in walk(content["response"]["page"]["children"]):
                p = comp["props"]
                if isinstance(p.get("id"), str) and "options" in p:
                    opts[p["id"]] = [o["value"] for o in p["options"]]
            if any(not opts.get(i) for i in ids):
                continue
            rng = random.Random(len(bodies))
            for _ in range(6):
                values = [rng.choice(opts[i]) for i in ids]
                if ids[-1] == "overview-groups":
                    values[-1] = rng.sample(opts[ids[-1]], k=min(3, len(opts[ids[-1]])))
                bodies.append(callback_body(by_first[ids[0]], values, lang))
        shells.append(callback_body(by_first["url"], ["/methodology", lang], lang))
    return bodies, shells, linked


@dataclass
class Record:
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class Client:
    base: str
    bodies: list[dict[str, Any]]
    shells: list[dict[str, Any]]
    linked: list[str]
    seed: int
    think: float
    records: list[Record] = field(default_factory=list)
    shown: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _timed(self, kind: str, fn, check) -> Any:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            r = fn()
            ok, detail = check(r)
        except (requests.RequestException, ValueError) as err:
            r, ok, detail = None, False, f"{type(err).__name__}: {err}"[:200]
        self.records.append(Record(kind, time.perf_counter() - t0, ok, detail))
        return r if ok else None

    def run(self, deadline: float) -> None:
        rng = random.Random(self.seed)
        s = requests.Session()

        def status(r: requests.Response) -> tuple[bool, str]:
            return r.status_code == 200, f"HTTP {r.status_code}"

        def dash(r: requests.Response) -> tuple[bool, str]:
            if r.status_code != 200:
                return False, f"HTTP {r.status_code}"
            return "response" in r.json(), "no response"

        for path in ["/", *self.linked]:  # cold load, then the browser cache holds them
            self._timed("asset", lambda p=path: s.get(self.base + p, timeout=TIMEOUT), status)
        for _ in range(MAX_ACTIONS_PER_CLIENT):
            if time.monotonic() >= deadline:
                return
            pick = rng.random()
            if pick < 0.25:
                for path in ("/", "/_dash-layout", "/_dash-dependencies"):
                    self._timed(
                        "page", lambda p=path: s.get(self.base + p, timeout=TIMEOUT), status
                    )
                body = rng.choice(self.shells)
                self._timed(
                    "page",
                    lambda b=body: s.post(self.base + CALLBACK, json=b, timeout=TIMEOUT),
                    dash,
                )
            elif pick < 0.85 or not self.shown:
                body = rng.choice(self.bodies)
                r = self._timed(
                    "callback",
                    lambda b=body: s.post(self.base + CALLBACK, json=b, timeout=TIMEOUT),
                    dash,
                )
                if r is not None:
                    for key, value in r.json()["response"].items():
                        if '"shown"' in key and (value.get("data") or {}).get("tables"):
                            self.shown.append((json.loads(key)["page"], value["data"]))
                            del self.shown[:-5]
            else:
                page, data = rng.choice(self.shown)
                body = download_body(page, data, rng.choice(["csv", "xlsx"]))
                self._timed(
                    "download",
                    lambda b=body: s.post(self.base + CALLBACK, json=b, timeout=TIMEOUT),
                    dash,
                )
            if self.think > 0:
                pause = rng.uniform(self.think / 2, 1.5 * self.think)
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))


def summarise(seconds: list[float]) -> dict[str, float]:
    """Latency percentiles in milliseconds."""
    if not seconds:
        return {
            "requests": 0,
            "p50_ms": float("nan"),
            "p95_ms": float("nan"),
            "max_ms": float("nan"),
        }
    ms = np.asarray(seconds) * 1000
    return {
        "requests": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "max_ms": round(float(ms.max()), 1),
    }


def run_load(
    *,
    clients: int = 50,
    duration: float = 60.0,
    workers: int = 2,
    think: float = 1.0,
    bundle: Path | None = None,
    out: Path | None = RESULTS,
    sample: float = 0.5,
) -> dict[str, Any]:
    """Run the load test and return (and, with ``out``, write) its results."""
    work = Path(tempfile.mkdtemp(prefix="ts-bench-load-"))
    proc = None
    try:
        path = bundle or demo_bundle(work)
        port = free_port()
        base = f"http://{HOST}:{port}"
        proc = start_gunicorn(path, port, workers)
        wait_ready(base, proc)
        bodies, shells, linked = scenarios(base)
        samples: list[dict[str, float]] = []
        done = threading.Event()
        sampler = threading.Thread(
            target=sample_memory, args=(proc.pid, done, sample, samples), daemon=True
        )
        sampler.start()
        t0 = time.monotonic()
        deadline = t0 + duration
        pool = [Client(base, bodies, shells, linked, seed=i, think=think) for i in range(clients)]
        with ThreadPoolExecutor(max_workers=clients) as ex:
            futures = [ex.submit(c.run, deadline) for c in pool]
            for f in futures:
                f.result(timeout=duration + 120)
        wall = time.monotonic() - t0
        done.set()
        sampler.join(timeout=10)
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn died during the run (exit {proc.returncode})")
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    records = [r for c in pool for r in c.records]
    errors = [r for r in records if not r.ok]
    measured = [r for r in records if r.kind != "asset"]
    res: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "server": f"gunicorn, {workers} sync workers, 127.0.0.1",
        "bundle": "synthetic demo study" if bundle is None else str(bundle),
        "clients": clients,
        "duration_s": round(wall, 1),
        "think_s": think,
        "cpus": os.cpu_count(),
        "errors": len(errors),
        "error_examples": sorted({f"{r.kind}: {r.detail}" for r in errors})[:10],
        "throughput_rps": round(len(measured) / wall, 1) if wall else None,
        "all": summarise([r.seconds for r in measured]),
        "by_kind": {
            k: summarise([r.seconds for r in records if r.kind == k])
            for k in ("page", "callback", "download", "asset")
        },
        "memory": {
            **memory_growth(samples),
            "samples": len(samples),
            "max_mib": round(max((s["rss_mib"] for s in samples), default=float("nan")), 1),
            "processes": int(max((s["processes"] for s in samples), default=0)),
        },
    }
    res["targets_met"] = bool(
        res["errors"] == 0
        and res["all"]["p95_ms"] < 200
        and res["memory"]["growth_mib"] < max(10.0, 0.05 * res["memory"]["first_mib"])
    )
    if out is not None:
        write_results(res, samples, out)
    return res


def markdown(res: dict[str, Any]) -> str:
    m = res["memory"]
    lines = [
        f"# Dashboard load test ({res['when']})",
        "",
        f"{res['server']}; {res['clients']} concurrent clients for {res['duration_s']} s "
        f"(think time {res['think_s']} s); {res['bundle']}; {res['cpus']} CPUs.",
        "",
        "| requests | kind | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for kind, s in {"all (excl. cold assets)": res["all"], **res["by_kind"]}.items():
        lines.append(
            f"| {s['requests']} | {kind} | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} |"
        )
    lines += [
        "",
        f"errors: {res['errors']}; throughput: {res['throughput_rps']} requests/s",
        f"server RSS (master + {m['processes'] - 1} workers): first 10 s {m['first_mib']} MiB, "
        f"last 10 s {m['last_mib']} MiB, growth {m['growth_mib']} MiB (max {m['max_mib']} MiB, "
        f"{m['samples']} samples); slope after the first 10 s: "
        f"{m.get('slope_after_warmup_mib_per_min', 'n/a')} MiB/min",
        f"targets (0 errors, p95 < 200 ms, no memory growth) met: {res['targets_met']}",
    ]
    return "\n".join(lines) + "\n"


def write_results(res: dict[str, Any], samples: list[dict[str, float]], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = res["when"].replace("-", "").replace(":", "")
    full = {**res, "memory_samples": samples}
    for name in (f"load_{stamp}", "load_latest"):
        (out / f"{name}.json").write_text(json.dumps(full, indent=2))
        (out / f"{name}.md").write_text(markdown(res))
    return out / f"load_{stamp}.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--duration", type=float, default=60.0, help="seconds (bounded)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--think", type=float, default=1.0, help="mean think time (s); 0 = stress")
    p.add_argument("--bundle", type=Path, default=None, help="a bundle folder (default: demo)")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if not (1 <= args.clients <= 500 and 0 < args.duration <= 3600):
        p.error("--clients must be 1..500 and --duration 0..3600 s")
    res = run_load(
        clients=args.clients,
        duration=args.duration,
        workers=args.workers,
        think=args.think,
        bundle=args.bundle,
        out=args.out,
    )
    print(markdown(res))
    return 0 if res["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

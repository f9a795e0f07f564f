"""Bounded load test of the production dashboard server (gunicorn) on 127.0.0.1.

The script writes a bundle (the synthetic demo study, or ``--bundle PATH``), starts gunicorn
exactly as ``trustsurvey dashboard --production`` does (:func:`gunicorn_argv`: ``gthread``
workers, ``--preload``, ``--max-requests`` with jitter, keep-alive) on a free 127.0.0.1 port
and runs ``--clients`` concurrent clients for ``--duration`` seconds, after ``--warmup``
seconds of the same load that are not measured (the server's bounded caches fill).

The load generator is one asyncio event loop in one process (a minimal HTTP/1.1 client over
``asyncio`` streams, one keep-alive connection per client, ``Accept-Encoding: gzip``), not
50 Python threads, so it costs the server little CPU; its own CPU time is reported. With
``--pin`` (default when there are at least 2 CPUs) the server is pinned to CPU 0 and the
generator to the last CPU (``os.sched_setaffinity``), so the two never compete for a core:
the server is measured on one core.

Each client behaves like a browser user: a cold first load (``/`` and every file it links),
then a random action, then a think time uniform on ``[think/2, 3*think/2]`` (default mean
1 s: 50 users each acting about once a second, a busy public dashboard; ``--think 0`` is a
closed-loop stress run where every client fires its next request as soon as the last one
returned):

* page load (25 %): ``/`` + ``/_dash-layout`` + ``/_dash-dependencies`` (revalidated with
  ``If-None-Match`` like a browser: 200 or 304) + the page (shell) callback;
* callback (60 %): a page callback with filter values drawn from the offered ones;
* download (15 %): the CSV or XLSX of a table shown earlier.

Every request is timed (p50 / p95 / max over all, and per kind); an error is an answer other
than 200/304, a callback answer without ``response``, a timeout or a connection failure.
The RSS, PSS and private dirty pages of the gunicorn master and its workers
(``/proc/<pid>/smaps_rollup``) are sampled every 0.5 s; memory growth is the mean total of
the last 10 s minus that of the first 10 s of the measured run, and the same over its second
half (the bounded caches fill in the first seconds; "stable" means RSS and private dirty
pages grow by less than ``STEADY_MIB`` in the second half).
The server's CPU (``/proc/<pid>/stat``) and the generator's are reported. Every loop is
bounded in time and count. Results: ``benchmarks/_results/load_<UTC>.json`` and ``.md``
(and ``load_latest.*``); ``--repeat N`` runs N times (a fresh server each) and writes
``load_runs_<UTC>.md``. ``TRUSTSURVEY_DASHBOARD_CACHE=0`` in the environment measures the
server without its response caches. Target: zero errors, p95 < 200 ms, memory stable.

usage: python benchmarks/bench_load.py [--clients 50] [--duration 60] [--warmup 5]
       [--workers 2] [--threads 4] [--think 1.0] [--repeat 1] [--no-pin] [--bundle PATH]
       python benchmarks/bench_load.py --profile   # in-process cost per request kind

>>> summarise([0.010, 0.020, 0.030, 0.040])["p50_ms"]
25.0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gzip
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import requests

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "_results"
SRC = HERE.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from trustsurvey.dashboard.wsgi import gunicorn_argv  # noqa: E402

HOST = "127.0.0.1"
CALLBACK = "/_dash-update-component"
MAX_ACTIONS_PER_CLIENT = 1_000_000
TIMEOUT = 30.0
KINDS = ("page", "callback", "download", "asset")
#: "memory stable": total RSS and PSS of the second half of the run grow by less than this
STEADY_MIB = 2.0


# --- server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def demo_bundle(out: Path) -> Path:
    """The synthetic demo study's bundle written to ``out``."""
    from trustsurvey.publish.bundle import write_bundle
    from trustsurvey.publish.fixture import synthetic_meta, synthetic_tables

    return write_bundle(synthetic_tables(), out, study_meta=synthetic_meta())


def start_gunicorn(
    bundle: Path, port: int, workers: int, threads: int, cpus: set[int] | None = None
) -> subprocess.Popen[bytes]:
    """gunicorn as ``trustsurvey dashboard --production`` runs it (no access log)."""
    cmd = gunicorn_argv(HOST, port, workers=workers, threads=threads, access_log=False)
    cmd[cmd.index("--log-level") + 1] = "warning"
    # one address makes every request here: the per-client rate limit would answer 429
    env = dict(
        os.environ,
        TRUSTSURVEY_BUNDLE=str(bundle),
        PYTHONPATH=str(SRC),
        TRUSTSURVEY_DASHBOARD_RATE="0",
    )
    for key in ("TRUSTSURVEY_DASHBOARD_USER", "TRUSTSURVEY_DASHBOARD_PASSWORD"):
        env.pop(key, None)

    def pin() -> None:  # runs in the child before exec; workers inherit it
        if cpus:
            os.sched_setaffinity(0, cpus)

    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=pin
    )


def wait_ready(base: str, proc: subprocess.Popen[bytes], limit: float = 90.0) -> None:
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
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# --- memory and CPU of the server ---------------------------------------------------------


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc/<pid>/task/*/children)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def memory_kib(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, private dirty) of one process in KiB. PSS splits shared pages among every
    process mapping them, and clean library pages turn private when unrelated processes
    exit, so both move for reasons outside the server; private dirty pages (the process's
    own heap and its copy-on-write copies of the master's pages) are the real growth."""
    got = dict.fromkeys(("Rss", "Pss", "Private_Dirty"), 0)
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in got:
                got[key] = int(line.split()[1])
    except OSError:
        return 0, 0, 0
    return got["Rss"], got["Pss"], got["Private_Dirty"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (``/proc/<pid>/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(master: int) -> dict[int, float]:
    return {p: cpu_seconds(p) for p in [master, *children(master)]}


def sample_memory(
    master: int,
    stop_at: threading.Event,
    every: float,
    out: list[dict[str, float]],
    cpu: dict[int, float],
) -> None:
    """Total memory of master + workers every ``every`` s; the last CPU time seen of every
    process into ``cpu`` (so a worker recycled by ``--max-requests`` still counts)."""
    t0 = time.monotonic()
    for _ in range(1_000_000):  # bounded; ends with the run
        pids = [master, *children(master)]
        cpu.update(server_cpu(master))
        mem = [memory_kib(p) for p in pids]
        out.append(
            {
                "t": round(time.monotonic() - t0, 2),
                "rss_mib": round(sum(m[0] for m in mem) / 1024, 2),
                "pss_mib": round(sum(m[1] for m in mem) / 1024, 2),
                "dirty_mib": round(sum(m[2] for m in mem) / 1024, 2),
                "processes": len(pids),
            }
        )
        if stop_at.wait(every):
            return


def memory_growth(
    samples: list[dict[str, float]], window: float = 10.0, key: str = "rss_mib"
) -> dict[str, float]:
    """Mean total memory of the first and last ``window`` seconds and the difference (MiB),
    and the least-squares slope over the whole run (MiB/min).

    >>> s = [{"t": t, "rss_mib": 100.0 + t / 10} for t in range(61)]
    >>> g = memory_growth(s)
    >>> g["growth_mib"], g["slope_mib_per_min"]
    (5.0, 6.0)
    """
    if not samples:
        return {"first_mib": float("nan"), "last_mib": float("nan"), "growth_mib": float("nan")}
    start, end = samples[0]["t"], samples[-1]["t"]
    first = [s[key] for s in samples if s["t"] <= start + window]
    last = [s[key] for s in samples if s["t"] >= end - window]
    a, b = float(np.mean(first)), float(np.mean(last))
    out = {"first_mib": round(a, 1), "last_mib": round(b, 1), "growth_mib": round(b - a, 1)}
    if len(samples) >= 3 and end > start:
        t, r = np.array([(s["t"], s[key]) for s in samples]).T
        out["slope_mib_per_min"] = round(float(np.polyfit(t, r, 1)[0]) * 60, 2)
    return out


# --- a minimal asyncio HTTP/1.1 client ----------------------------------------------------


class HttpError(Exception):
    """A transport failure (connection, protocol, timeout)."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        data = self.body
        if self.headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return json.loads(data)


class Connection:
    """One keep-alive HTTP/1.1 connection (reopened when the server closed it)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retries = 0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):  # already closed by the server
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        reused = self.writer is not None
        try:
            return await asyncio.wait_for(self._once(method, path, body, headers), TIMEOUT)
        except (HttpError, OSError, asyncio.IncompleteReadError) as err:
            await self.close()
            if not reused:  # a fresh connection failed: a real error
                raise HttpError(f"{type(err).__name__}: {err}") from err
        except TimeoutError as err:
            await self.close()
            raise HttpError(f"timeout after {TIMEOUT} s") from err
        # an idle keep-alive connection closed by the server: retry once, as browsers do
        self.retries += 1
        try:
            return await asyncio.wait_for(self._once(method, path, body, headers), TIMEOUT)
        except (HttpError, OSError, asyncio.IncompleteReadError, TimeoutError) as err:
            await self.close()
            raise HttpError(f"{type(err).__name__}: {err}") from err

    async def _once(
        self, method: str, path: str, body: bytes, headers: dict[str, str] | None
    ) -> Answer:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept-Encoding: gzip",
            "Connection: keep-alive",
        ]
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}")
        if method == "POST":
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        reader, writer = self.reader, self.writer
        if reader is None:
            raise HttpError("no connection")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise HttpError("connection closed before the answer")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"bad status line {status_line[:80]!r}")
        status = int(parts[1])
        got: dict[str, str] = {}
        for _ in range(200):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            got[k.strip().lower()] = v.strip()
        if status in (204, 304) or method == "HEAD":
            data = b""
        elif "content-length" in got:
            data = await reader.readexactly(int(got["content-length"]))
        elif got.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            for _ in range(1_000_000):
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readline()
            data = b"".join(chunks)
        else:
            data = await reader.read()
            got["connection"] = "close"
        if got.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, got, data)


# --- the scenario -----------------------------------------------------------------------


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


def download_body(page: str, shown: dict[str, Any], fmt: str, lang: str = "uk") -> dict[str, Any]:
    """A download request as the page sends it: the table shown and the page's language."""
    ids = [{"type": "dl-csv", "page": page}, {"type": "dl-xlsx", "page": page}]
    pick = 0 if fmt == "csv" else 1
    return {
        "output": '{"page":["MATCH"],"type":"download"}.data',
        "outputs": {"id": {"type": "download", "page": page}, "property": "data"},
        "inputs": [
            {"id": ids[0], "property": "n_clicks", "value": 1 - pick},
            {"id": ids[1], "property": "n_clicks", "value": pick},
        ],
        "state": [
            {"id": {"type": "shown", "page": page}, "property": "data", "value": shown},
            {"id": "lang-switch", "property": "value", "value": lang},
        ],
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
class Client:
    """One simulated user: a cold load, then actions separated by think times."""

    conn: Connection
    bodies: list[bytes]
    shells: list[bytes]
    linked: list[str]
    seed: int
    think: float
    records: list[tuple[str, float, bool, str]] = field(default_factory=list)
    shown: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)
    posted: set[int] = field(default_factory=set)

    async def _do(
        self, kind: str, method: str, path: str, body: bytes = b"", dash: bool = False
    ) -> Answer | None:
        headers = {"If-None-Match": self.etags[path]} if path in self.etags else None
        if body:
            self.posted.add(hash(body))
        t0 = time.perf_counter()
        answer, ok, detail = None, False, ""
        try:
            answer = await self.conn.request(method, path, body, headers)
            ok = answer.status == 200 or (answer.status == 304 and method == "GET")
            detail = f"HTTP {answer.status} {path[:40]}"
            if ok and dash:
                ok, detail = "response" in answer.json(), "no response"
        except (HttpError, ValueError, OSError) as err:
            ok, detail = False, f"{type(err).__name__}: {err}"[:200]
        seconds = time.perf_counter() - t0
        self.records.append((kind, seconds, ok, "" if ok else detail))
        if ok and answer is not None and method == "GET" and "etag" in answer.headers:
            self.etags[path] = answer.headers["etag"]
        return answer if ok else None

    async def run(self, deadline: float) -> None:
        rng = random.Random(self.seed)
        for path in ["/", *self.linked]:  # cold load; the browser cache then holds the files
            await self._do("asset", "GET", path)
        for _ in range(MAX_ACTIONS_PER_CLIENT):
            if time.monotonic() >= deadline:
                break
            pick = rng.random()
            if pick < 0.25:
                for path in ("/", "/_dash-layout", "/_dash-dependencies"):
                    await self._do("page", "GET", path)
                await self._do("page", "POST", CALLBACK, rng.choice(self.shells), dash=True)
            elif pick < 0.85 or not self.shown:
                a = await self._do("callback", "POST", CALLBACK, rng.choice(self.bodies), True)
                if a is not None:
                    for key, value in a.json()["response"].items():
                        if '"shown"' in key and (value.get("data") or {}).get("tables"):
                            self.shown.append((json.loads(key)["page"], value["data"]))
                            del self.shown[:-5]
            else:
                page, data = rng.choice(self.shown)
                body = download_body(page, data, rng.choice(["csv", "xlsx"]))
                await self._do("download", "POST", CALLBACK, _dumps(body), dash=True)
            if self.think > 0:
                pause = rng.uniform(self.think / 2, 1.5 * self.think)
                await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        await self.conn.close()


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


async def drive(
    port: int,
    bodies: list[bytes],
    shells: list[bytes],
    linked: list[str],
    *,
    clients: int,
    think: float,
    warmup: float,
    duration: float,
    on_start: Any,
) -> tuple[list[Client], float]:
    """Warm up, then run ``clients`` fresh clients for ``duration`` seconds."""
    if warmup > 0:
        warm = [
            Client(Connection(HOST, port), bodies, shells, linked, seed=10_000 + i, think=think)
            for i in range(clients)
        ]
        end = time.monotonic() + warmup
        await asyncio.gather(*(c.run(end) for c in warm))
    on_start()
    t0 = time.monotonic()
    pool = [
        Client(Connection(HOST, port), bodies, shells, linked, seed=i, think=think)
        for i in range(clients)
    ]
    await asyncio.wait_for(
        asyncio.gather(*(c.run(t0 + duration) for c in pool)), duration + TIMEOUT + 60
    )
    return pool, time.monotonic() - t0


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


def cpu_plan(pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, generator CPUs): CPU 0 and the last CPU when pinning is possible."""
    if not pin or not hasattr(os, "sched_setaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, {cpus[-1]}


def run_load(
    *,
    clients: int = 50,
    duration: float = 60.0,
    warmup: float = 5.0,
    workers: int = 2,
    threads: int = 4,
    think: float = 1.0,
    pin: bool = False,
    bundle: Path | None = None,
    out: Path | None = RESULTS,
    sample: float = 0.5,
) -> dict[str, Any]:
    """Run the load test and return (and, with ``out``, write) its results."""
    work = Path(tempfile.mkdtemp(prefix="ts-bench-load-"))
    proc = None
    server_cpus, gen_cpus = cpu_plan(pin)
    old_affinity = os.sched_getaffinity(0) if gen_cpus else None
    samples: list[dict[str, float]] = []
    ready_mem: dict[str, float] = {}
    cpu0: dict[int, float] = {}
    try:
        path = bundle or demo_bundle(work)
        port = free_port()
        base = f"http://{HOST}:{port}"
        proc = start_gunicorn(path, port, workers, threads, server_cpus)
        wait_ready(base, proc)
        bodies, shells, linked = scenarios(base)
        time.sleep(1.0)  # every worker forked and idle
        pids = [proc.pid, *children(proc.pid)]
        mem = [memory_kib(p) for p in pids]
        ready_mem = {
            "rss_mib": round(sum(m[0] for m in mem) / 1024, 1),
            "pss_mib": round(sum(m[1] for m in mem) / 1024, 1),
            "dirty_mib": round(sum(m[2] for m in mem) / 1024, 1),
        }
        if gen_cpus:
            os.sched_setaffinity(0, gen_cpus)
        done = threading.Event()
        cpu_seen: dict[int, float] = {}
        sampler = threading.Thread(
            target=sample_memory, args=(proc.pid, done, sample, samples, cpu_seen), daemon=True
        )
        gen_cpu0 = [0.0]

        def on_start() -> None:  # the measured window starts
            cpu0.update(server_cpu(proc.pid))
            gen_cpu0[0] = time.process_time()
            sampler.start()

        pool, wall = asyncio.run(
            drive(
                port,
                [_dumps(b) for b in bodies],
                [_dumps(b) for b in shells],
                linked,
                clients=clients,
                think=think,
                warmup=warmup,
                duration=duration,
                on_start=on_start,
            )
        )
        gen_cpu = time.process_time() - gen_cpu0[0]
        done.set()
        sampler.join(timeout=10)
        cpu1 = {**cpu_seen, **server_cpu(proc.pid)}
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn died during the run (exit {proc.returncode})")
    finally:
        if old_affinity:
            os.sched_setaffinity(0, old_affinity)
        if proc is not None:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    records = [r for c in pool for r in c.records]
    errors = [r for r in records if not r[2]]
    measured = [r for r in records if r[0] != "asset"]
    half = samples[-1]["t"] / 2 if samples else 0.0
    second_half = [s for s in samples if s["t"] >= half]
    srv_cpu = sum(cpu1.get(p, 0.0) - cpu0.get(p, 0.0) for p in cpu1)
    pinning = (
        f"server pinned to CPU {sorted(server_cpus)}, generator to CPU {sorted(gen_cpus)}"
        if server_cpus and gen_cpus
        else "no CPU pinning"
    )
    res: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "server": f"gunicorn, {workers} gthread workers x {threads} threads, --preload, "
        f"127.0.0.1; {pinning}; response caches "
        f"{'off' if os.environ.get('TRUSTSURVEY_DASHBOARD_CACHE') == '0' else 'on'}",
        "bundle": "synthetic demo study" if bundle is None else str(bundle),
        "clients": clients,
        "duration_s": round(wall, 1),
        "warmup_s": warmup,
        "think_s": think,
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "errors": len(errors),
        "error_examples": sorted({f"{r[0]}: {r[3]}" for r in errors})[:10],
        "connection_retries": sum(c.conn.retries for c in pool),
        "worker_restarts": max(0, len(cpu1) - 1 - workers),
        "distinct_callback_bodies": len(set().union(*(c.posted for c in pool))),
        "throughput_rps": round(len(measured) / wall, 1) if wall else None,
        "all": summarise([r[1] for r in measured]),
        "by_kind": {k: summarise([r[1] for r in records if r[0] == k]) for k in KINDS},
        "cpu": {
            "server_s": round(srv_cpu, 1),
            "server_cores": round(srv_cpu / wall, 2) if wall else None,
            "generator_s": round(gen_cpu, 1),
            "generator_cores": round(gen_cpu / wall, 2) if wall else None,
        },
        "memory": {
            "ready": ready_mem,
            "rss": memory_growth(samples, key="rss_mib"),
            "pss": memory_growth(samples, key="pss_mib"),
            "dirty": memory_growth(samples, key="dirty_mib"),
            "second_half_rss": memory_growth(second_half, key="rss_mib"),
            "second_half_pss": memory_growth(second_half, key="pss_mib"),
            "second_half_dirty": memory_growth(second_half, key="dirty_mib"),
            "samples": len(samples),
            "max_rss_mib": round(max((s["rss_mib"] for s in samples), default=float("nan")), 1),
            "processes": int(max((s["processes"] for s in samples), default=0)),
        },
    }
    steady = [res["memory"][f"second_half_{k}"]["growth_mib"] for k in ("rss", "dirty")]
    res["targets_met"] = bool(
        res["errors"] == 0 and res["all"]["p95_ms"] < 200 and max(steady) < STEADY_MIB
    )
    if out is not None:
        write_results(res, samples, out)
    return res


def markdown(res: dict[str, Any]) -> str:
    m, c = res["memory"], res["cpu"]
    lines = [
        f"# Dashboard load test ({res['when']})",
        "",
        f"{res['server']}; {res['clients']} concurrent clients for {res['duration_s']} s "
        f"after {res['warmup_s']} s of warm-up (think time {res['think_s']} s); "
        f"{res['bundle']}; {res['cpus']} CPUs, 1-min load average {res['load_average_1min']}.",
        "",
        "| requests | kind | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for kind, s in {"all (excl. cold loads)": res["all"], **res["by_kind"]}.items():
        label = "asset (cold first load)" if kind == "asset" else kind
        lines.append(
            f"| {s['requests']} | {label} | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} |"
        )
    rss, dirty = m["rss"], m["dirty"]
    lines += [
        "",
        f"errors: {res['errors']}; throughput: {res['throughput_rps']} requests/s; "
        f"keep-alive reconnects: {res['connection_retries']}; workers recycled "
        f"(--max-requests): {res['worker_restarts']}",
        f"CPU: server {c['server_cores']} cores, load generator {c['generator_cores']} cores",
        f"server memory (master + {m['processes'] - 1} workers), private dirty pages: ready "
        f"{m['ready'].get('dirty_mib')} MiB, first 10 s {dirty['first_mib']} MiB, last 10 s "
        f"{dirty['last_mib']} MiB, growth {dirty['growth_mib']} MiB "
        f"(slope {dirty.get('slope_mib_per_min', 'n/a')} MiB/min); RSS: ready "
        f"{m['ready'].get('rss_mib')} MiB, first 10 s {rss['first_mib']} MiB, last 10 s "
        f"{rss['last_mib']} MiB, growth {rss['growth_mib']} MiB "
        f"(slope {rss.get('slope_mib_per_min', 'n/a')} MiB/min); PSS last 10 s "
        f"{m['pss']['last_mib']} MiB; {m['samples']} samples",
        f"second half of the run: RSS {m['second_half_rss']['growth_mib']} MiB, private dirty "
        f"{m['second_half_dirty']['growth_mib']} MiB; distinct callback bodies sent: "
        f"{res['distinct_callback_bodies']} (bounds the callback cache's entries)",
        f"targets (0 errors, p95 < 200 ms, memory flat in the second half: < {STEADY_MIB} MiB) "
        f"met: {res['targets_met']}",
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


def runs_table(runs: list[dict[str, Any]]) -> str:
    """One markdown table row per run and kind (p50/p95/max, errors, memory)."""
    lines = [
        "| run | when | think s | kind | requests | p50 ms | p95 ms | max ms | errors "
        "| private dirty first→last MiB | RSS first→last MiB | 2nd half RSS / dirty MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs, 1):
        dirty, rss = r["memory"]["dirty"], r["memory"]["rss"]
        for kind, s in {"all": r["all"], **r["by_kind"]}.items():
            m = r["memory"]
            half = f"{m['second_half_rss']['growth_mib']} / {m['second_half_dirty']['growth_mib']}"
            mem = (
                (
                    f"{dirty['first_mib']}→{dirty['last_mib']}",
                    f"{rss['first_mib']}→{rss['last_mib']}",
                    half,
                )
                if kind == "all"
                else ("", "", "")
            )
            lines.append(
                f"| {i} | {r['when']} | {r['think_s']} | {kind} | {s['requests']} | "
                f"{s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} | "
                f"{r['errors'] if kind == 'all' else ''} | {mem[0]} | {mem[1]} | {mem[2]} |"
            )
    return "\n".join(lines) + "\n"


# --- where the server's time goes, per request kind (in-process) ---------------------------


def profile_kinds(bundle: Path | None = None, repeat: int = 15) -> dict[str, dict[str, float]]:
    """Median in-process cost (ms) of each request kind with the response caches off and on
    (the Flask test client: no network, no gunicorn; with caches on, every call after the
    first of a kind is a cache hit)."""
    from trustsurvey.dashboard.app import create_app
    from trustsurvey.publish.fixture import demo_bundle as fixture_bundle

    path = bundle or fixture_bundle()
    old = os.environ.get("TRUSTSURVEY_DASHBOARD_CACHE")
    result: dict[str, dict[str, float]] = {}
    try:
        for label, flag in (("caches off", "0"), ("caches on", "1")):
            os.environ["TRUSTSURVEY_DASHBOARD_CACHE"] = flag
            result[label] = _profile_client(create_app(path).server.test_client(), repeat)
    finally:
        if old is None:
            os.environ.pop("TRUSTSURVEY_DASHBOARD_CACHE", None)
        else:
            os.environ["TRUSTSURVEY_DASHBOARD_CACHE"] = old
    return result


def _profile_client(client: Any, repeat: int) -> dict[str, float]:
    import statistics

    gz = {"Accept-Encoding": "gzip"}
    times: dict[str, list[float]] = {}

    def timed(kind: str, method: str, url: str, body: Any = None) -> Any:
        runs, answer = [], None
        for _ in range(repeat):
            t0 = time.perf_counter()
            if method == "GET":
                answer = client.get(url, headers=gz)
            else:
                answer = client.post(url, json=body, headers=gz)
            runs.append(time.perf_counter() - t0)
        times.setdefault(kind, []).append(statistics.median(runs) * 1000)
        return client.post(url, json=body) if method == "POST" else answer

    html = client.get("/").get_data(as_text=True)
    for url in ("/", "/_dash-layout", "/_dash-dependencies"):
        timed(f"GET {url}", "GET", url)
    for url in sorted(set(re.findall(r'(?:src|href)="(/[^"]+)"', html))):
        timed("static file", "GET", url)
    by_first = {}
    for d in client.get("/_dash-dependencies").get_json():
        ident = d["inputs"][0]["id"]
        by_first[json.loads(ident)["type"] if ident.startswith("{") else ident] = d
    for url, (page, ids) in PAGE_CALLBACKS.items():
        shell = callback_body(by_first["url"], [url, "en"], "en")
        answer = timed("page (shell) callback", "POST", CALLBACK, shell)
        opts: dict[str, list[Any]] = {}
        for comp in walk(answer.get_json()["response"]["page"]["children"]):
            props = comp["props"]
            if isinstance(props.get("id"), str) and "options" in props:
                opts[props["id"]] = [o["value"] for o in props["options"]]
        if any(not opts.get(i) for i in ids):
            continue
        values: list[Any] = [opts[i][-1] for i in ids]
        if ids[-1] == "overview-groups":
            values[-1] = opts[ids[-1]][:3]
        body = callback_body(by_first[ids[0]], values, "en")
        answer = timed("filter callback", "POST", CALLBACK, body)
        for key, value in answer.get_json()["response"].items():
            if '"shown"' in key:
                for fmt in ("csv", "xlsx"):
                    timed(
                        f"download {fmt}", "POST", CALLBACK, download_body(page, value["data"], fmt)
                    )
    return {k: round(statistics.median(v), 2) for k, v in times.items()}


def profile_markdown(prof: dict[str, dict[str, float]]) -> str:
    off, on = prof["caches off"], prof["caches on"]
    lines = [
        "| request kind | caches off, median ms | caches on, median ms |",
        "|---|---|---|",
        *(f"| {k} | {off[k]} | {on.get(k, float('nan'))} |" for k in off),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds (bounded)")
    p.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    p.add_argument("--think", type=float, default=1.0, help="mean think time (s); 0 = stress")
    p.add_argument("--repeat", type=int, default=1, help="runs, each with a fresh server")
    p.add_argument("--no-pin", dest="pin", action="store_false", help="no CPU pinning")
    p.add_argument("--bundle", type=Path, default=None, help="a bundle folder (default: demo)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument(
        "--profile", action="store_true", help="only the in-process cost per request kind"
    )
    args = p.parse_args(argv)
    if args.profile:
        text = profile_markdown(profile_kinds(args.bundle))
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "load_profile.md").write_text(text)
        print(text)
        return 0
    if not (1 <= args.clients <= 1000 and 0 < args.duration <= 3600 and 1 <= args.repeat <= 20):
        p.error("--clients must be 1..1000, --duration 0..3600 s, --repeat 1..20")
    runs = []
    for _ in range(args.repeat):
        res = run_load(
            clients=args.clients,
            duration=args.duration,
            warmup=args.warmup,
            workers=args.workers,
            threads=args.threads,
            think=args.think,
            pin=args.pin,
            bundle=args.bundle,
            out=args.out,
        )
        print(markdown(res), flush=True)
        runs.append(res)
    if args.repeat > 1:
        stamp = runs[0]["when"].replace("-", "").replace(":", "")
        text = f"# Dashboard load test, {args.repeat} runs\n\n{runs[0]['server']}\n\n"
        (args.out / f"load_runs_{stamp}.md").write_text(text + runs_table(runs))
        print(runs_table(runs))
    return 0 if all(r["errors"] == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())

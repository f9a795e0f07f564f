"""Load room: the response caches, the gunicorn configuration, and a 10-second smoke run.

The smoke run starts the real gunicorn server (as ``trustsurvey dashboard --production``
does) with a few asyncio clients for 10 s and asserts zero errors, that every kind of
request was made and that the server's memory was sampled; no timing assertion (the full
60-second run is ``benchmarks/bench_load.py``).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_load import (  # noqa: E402
    CALLBACK,
    PAGE_CALLBACKS,
    callback_body,
    markdown,
    memory_growth,
    run_load,
)

from trustsurvey.dashboard.cache import CACHE_ENV, Entry, LruBytes  # noqa: E402
from trustsurvey.dashboard.security import PASSWORD_ENV, USER_ENV  # noqa: E402
from trustsurvey.dashboard.wsgi import ENTRY, gunicorn_argv  # noqa: E402
from trustsurvey.errors import PublishError  # noqa: E402

GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    from trustsurvey.publish.fixture import demo_bundle

    return demo_bundle()


def _app(demo, monkeypatch, *, cache: bool = True, auth: bool = False):  # type: ignore[no-untyped-def]
    from trustsurvey.dashboard.app import create_app

    monkeypatch.setenv(CACHE_ENV, "1" if cache else "0")
    if auth:
        monkeypatch.setenv(USER_ENV, "ana")
        monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    else:
        monkeypatch.delenv(USER_ENV, raising=False)
        monkeypatch.delenv(PASSWORD_ENV, raising=False)
    return create_app(demo)


def _bodies(client, headers=None):  # type: ignore[no-untyped-def]
    deps = client.get("/_dash-dependencies", headers=headers).get_json()
    url = next(d for d in deps if d["inputs"][0]["id"] == "url")
    return [
        callback_body(url, [path, lang], lang) for path in PAGE_CALLBACKS for lang in ["uk", "en"]
    ]


def test_cached_callback_answers_equal_the_uncached_ones(demo, monkeypatch) -> None:
    cached = _app(demo, monkeypatch).server.test_client()
    plain = _app(demo, monkeypatch, cache=False).server.test_client()
    bodies = _bodies(plain)
    for body in bodies:
        want = plain.post(CALLBACK, json=body).get_json()
        first = cached.post(CALLBACK, json=body)
        again = cached.post(CALLBACK, json=body, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == again.status_code == 200
        assert first.get_json() == want
        assert again.headers["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(again.data)) == want
    stats = cached.application.extensions["trustsurvey_cache"].stats()["callbacks"]
    assert stats["misses"] == len(bodies) and stats["hits"] == len(bodies)
    # the language travels in the body: the uk and en answers are different entries
    assert stats["entries"] == len(bodies) and len({json.dumps(b) for b in bodies}) == len(bodies)


def test_basic_auth_guards_cached_answers(demo, monkeypatch) -> None:
    client = _app(demo, monkeypatch, auth=True).server.test_client()
    ok = {"Authorization": "Basic " + base64.b64encode(b"ana:s3cret").decode()}
    html = client.get("/", headers=ok).get_data(as_text=True)
    files = sorted(set(re.findall(r'(?:src|href)="(/[^"]+)"', html)))
    body = _bodies(client, ok)[0]
    assert client.post(CALLBACK, json=body, headers=ok).status_code == 200
    for path in ["/", "/_dash-layout", "/_dash-dependencies", *files]:
        for _ in range(2):  # a miss that fills the cache, then a hit
            assert client.get(path, headers=ok).status_code == 200
        denied = client.get(path)
        assert denied.status_code == 401 and b"__dash" not in denied.data, path
    denied = client.post(CALLBACK, json=body)
    assert denied.status_code == 401 and b"response" not in denied.data
    stats = client.application.extensions["trustsurvey_cache"].stats()
    assert stats["static"]["hits"] >= len(files) and stats["pages"]["hits"] >= 3


def test_repeat_loads_are_304_and_files_are_gzip_and_immutable(demo, monkeypatch) -> None:
    client = _app(demo, monkeypatch).server.test_client()
    html = client.get("/").get_data(as_text=True)
    files = [
        p for p in re.findall(r'(?:src|href)="(/[^"]+)"', html) if p.endswith(".js") or "?m=" in p
    ]
    assert any("plotly-basic" in p for p in files)
    for path in ["/", "/_dash-layout", "/_dash-dependencies", *files]:
        first = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert first.status_code == 200 and first.headers["ETag"].startswith('"'), path
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", path
        assert again.headers["Content-Security-Policy"]  # security headers on a 304 too
        if len(first.data) > 2048:
            assert first.headers.get("Content-Encoding") == "gzip", path
        if path.startswith(("/_dash-component-suites/", "/assets/")):
            assert "immutable" in first.headers["Cache-Control"], path
        else:
            assert first.headers["Cache-Control"] == "no-cache", path
    plain = client.get(files[0])  # no Accept-Encoding: the identity body
    assert "Content-Encoding" not in plain.headers and plain.data[:1] != b"\x1f"


def test_the_lru_is_bounded_in_entries_and_bytes() -> None:
    lru = LruBytes(max_entries=50, max_bytes=20_000)
    for i in range(1_000):
        lru.put(f"k{i}", Entry(body=bytes(100 + i % 300), mimetype="application/json"))
        assert len(lru.keys()) <= 50 and lru.stats()["bytes"] <= 20_000
    assert lru.get("k999") is not None and lru.get("k0") is None
    lru.put("huge", Entry(body=bytes(30_000), mimetype="application/json"))
    assert lru.get("huge") is None  # larger than the whole cache: never stored


def test_gunicorn_argv_is_the_production_configuration() -> None:
    argv = gunicorn_argv("0.0.0.0", 9000, workers=3, threads=8, executable="gunicorn")
    assert argv[0] == "gunicorn" and argv[-1] == ENTRY
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[argv.index("--workers") + 1] == "3" and argv[argv.index("--threads") + 1] == "8"
    assert argv[argv.index("--worker-class") + 1] == "gthread" and "--preload" in argv
    assert int(argv[argv.index("--max-requests") + 1]) > 0 and "--max-requests-jitter" in argv
    assert "--max-requests" not in gunicorn_argv("h", 1, max_requests=0, executable="g")
    with pytest.raises(PublishError, match="--threads"):
        gunicorn_argv("h", 1, threads=0)


@pytest.mark.skipif(
    not (GUNICORN.exists() or shutil.which("gunicorn")), reason="gunicorn is not installed"
)
def test_ten_seconds_of_mixed_load_give_no_errors(tmp_path: Path) -> None:
    res = run_load(clients=8, duration=10, warmup=1, workers=2, think=0.2, out=tmp_path)
    assert res["errors"] == 0, res["error_examples"]
    kinds = res["by_kind"]
    for kind in ("page", "callback", "download", "asset"):
        assert kinds[kind]["requests"] > 0, kind
    assert res["all"]["requests"] == sum(
        kinds[k]["requests"] for k in ("page", "callback", "download")
    )
    mem = res["memory"]
    assert mem["samples"] >= 10 and mem["processes"] == 3  # master + 2 workers
    assert mem["rss"]["first_mib"] > 20 and mem["dirty"]["first_mib"] > 5  # real processes
    assert res["cpu"]["server_s"] > 0
    saved = json.loads((tmp_path / "load_latest.json").read_text())
    assert saved["errors"] == 0 and len(saved["memory_samples"]) == mem["samples"]
    assert "p95 ms" in (tmp_path / "load_latest.md").read_text()
    assert "errors: 0" in markdown(res)


def test_memory_growth_compares_the_first_and_last_ten_seconds() -> None:
    flat = [{"t": float(t), "rss_mib": 300.0} for t in range(61)]
    assert memory_growth(flat)["growth_mib"] == 0.0
    leak = [{"t": float(t), "rss_mib": 300.0 + 2 * t} for t in range(61)]
    g = memory_growth(leak)
    assert g["first_mib"] == 310.0 and g["last_mib"] == 410.0 and g["growth_mib"] == 100.0
    assert g["slope_mib_per_min"] == 120.0

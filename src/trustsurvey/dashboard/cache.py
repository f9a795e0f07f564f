"""Bounded server-side caches of the dashboard's deterministic responses.

Every callback of the dashboard is a pure function of (bundle, request body): the body names
the inputs, the state (including the language switch) and the triggering property. So the
serialized answer of ``/_dash-update-component`` is cached under a hash of the body; neither
the ``Authorization`` nor the ``Accept-Language`` header is part of the key (basic auth runs
in ``before_request``, before any cached answer is served, and the language travels in the
body). The page shell (``/``, ``/_dash-layout``, ``/_dash-dependencies``) and the static
files (``/assets/…``, ``/_dash-component-suites/…``, the favicon) are cached per URL with a
strong ``ETag`` (a repeat load with ``If-None-Match`` is a 304, by werkzeug's
``make_conditional``) and served gzip-compressed to clients that accept it, compressed once
when the entry is stored (Dash's ``compress=True``, i.e. flask-compress, would compress every
answer again). Fingerprinted files (``?m=…`` or a ``.v1_2_3m…`` name) are ``immutable`` for
a year.

Both caches are LRUs (``cachetools.LRUCache``) bounded by entry count and by bytes (body +
gzip body), so a worker's memory stays flat however many distinct requests arrive.
``install`` wraps the Flask view functions (not ``before_request`` hooks), so basic auth and
the security headers still apply to every cached answer. ``TRUSTSURVEY_DASHBOARD_CACHE=0``
turns caching off (for profiling).

>>> c = LruBytes(max_entries=2, max_bytes=1_000)
>>> for k in ("a", "b", "c"):
...     c.put(k, Entry(body=k.encode() * 10, mimetype="text/plain"))
>>> sorted(c.keys()), c.stats()["evictions"]
(['b', 'c'], 1)
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from flask import Flask, Response, request

CACHE_ENV = "TRUSTSURVEY_DASHBOARD_CACHE"
#: smallest body worth compressing (below this gzip's header outweighs the gain)
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
#: request bodies larger than this are answered but never cached
MAX_KEY_BODY = 1 << 20
YEAR = 31_536_000


@dataclass(frozen=True)
class Entry:
    """One cached answer: body, optional gzip body, strong ETag, content type."""

    body: bytes
    mimetype: str
    gz: bytes | None = None
    etag: str = ""
    cache_control: str | None = None
    size: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", len(self.body) + len(self.gz or b"") + 200)


def make_entry(body: bytes, mimetype: str, cache_control: str | None = None) -> Entry:
    """An entry with its ETag and, when worth it, its gzip body.

    >>> e = make_entry(b"x" * 5000, "application/json")
    >>> len(e.gz) < 100, e.etag.startswith('"') and len(e.etag) == 34
    (True, True)
    """
    gz = None
    if len(body) >= GZIP_MIN_BYTES:
        packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        gz = packed if len(packed) < 0.9 * len(body) else None
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Entry(body=body, mimetype=mimetype, gz=gz, etag=etag, cache_control=cache_control)


class _Lru(LRUCache):
    """cachetools' byte-bounded LRU (``getsizeof``), also bounded by entry count, counting
    evictions."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        super().__init__(maxsize=max_bytes, getsizeof=lambda entry: entry.size)
        self.max_entries = max_entries
        self.evictions = 0

    def __setitem__(self, key: str, value: Entry) -> None:
        super().__setitem__(key, value)
        while len(self) > self.max_entries:
            self.popitem()

    def popitem(self) -> tuple[str, Entry]:
        self.evictions += 1
        return super().popitem()


class LruBytes:
    """A thread-safe LRU of :class:`Entry` bounded by entry count and total bytes
    (``cachetools.LRUCache`` with the entry size as ``getsizeof``)."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._data = _Lru(max_entries, max_bytes)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def evictions(self) -> int:
        return self._data.evictions

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            self._data[key] = entry

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._data)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._data),
                "bytes": int(self._data.currsize),
                "hits": self.hits,
                "misses": self.misses,
                "evictions": self.evictions,
            }


@dataclass
class DashCaches:
    """The caches installed on one app (``app.server.extensions['trustsurvey_cache']``)."""

    callbacks: LruBytes
    pages: LruBytes
    static: LruBytes

    def stats(self) -> dict[str, dict[str, int]]:
        return {n: getattr(self, n).stats() for n in ("callbacks", "pages", "static")}


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def serve(entry: Entry, *, conditional: bool) -> Response:
    """The response for a cached entry; with ``conditional``, werkzeug's
    ``make_conditional`` answers 304 when the client's ``If-None-Match`` matches."""
    headers = {"Vary": "Accept-Encoding"}
    if entry.cache_control:
        headers["Cache-Control"] = entry.cache_control
    body = entry.body
    if entry.gz is not None and _accepts_gzip():
        headers["Content-Encoding"] = "gzip"
        body = entry.gz
    resp = Response(body, mimetype=entry.mimetype, headers=headers)
    if conditional and entry.etag:
        resp.set_etag(entry.etag.strip('"'))
        resp.make_conditional(request, accept_ranges=False)
    return resp


def _cacheable(resp: Response) -> bool:
    return (
        resp.status_code == 200
        and "Set-Cookie" not in resp.headers
        and "Content-Encoding" not in resp.headers
    )


def _body_of(resp: Response) -> bytes:
    resp.direct_passthrough = False  # send_file responses: read the file into memory
    return resp.get_data()


def _wrap_callbacks(view: Callable[..., Any], lru: LruBytes, server: Flask) -> Callable[..., Any]:
    def cached_dispatch(*args: Any, **kwargs: Any) -> Any:
        raw = request.get_data(cache=True)  # Dash's get_json() reads the same cached bytes
        if len(raw) > MAX_KEY_BODY:
            return view(*args, **kwargs)
        key = request.path + "\n" + hashlib.sha256(raw).hexdigest()
        entry = lru.get(key)
        if entry is None:
            resp = server.make_response(view(*args, **kwargs))
            if not _cacheable(resp):
                return resp
            entry = make_entry(_body_of(resp), resp.mimetype or "application/json", "no-store")
            lru.put(key, entry)
        return serve(entry, conditional=False)

    return cached_dispatch


def _static_policy(resp: Response) -> str:
    """A year, immutable, for fingerprinted files (``?m=…`` or Dash's own year); else
    revalidate with the ETag."""
    if request.args.get("m") or (resp.cache_control.max_age or 0) >= YEAR:
        return f"public, max-age={YEAR}, immutable"
    return "no-cache"


def _page_policy(_resp: Response) -> str:
    return "no-cache"


def _wrap_get(
    view: Callable[..., Any],
    lru: LruBytes,
    server: Flask,
    policy: Callable[[Response], str],
) -> Callable[..., Any]:
    def cached_get(*args: Any, **kwargs: Any) -> Any:
        key = request.full_path
        entry = lru.get(key)
        if entry is None:
            # the original view must answer in full (not 304, not a range) to be cached
            environ = request.environ
            saved = {
                k: environ.pop(k)
                for k in list(environ)
                if k.startswith("HTTP_IF_") or k == "HTTP_RANGE"
            }
            try:
                resp = server.make_response(view(*args, **kwargs))
            finally:
                environ.update(saved)
            if not _cacheable(resp):
                return resp
            mimetype = resp.mimetype or "application/octet-stream"
            entry = make_entry(_body_of(resp), mimetype, policy(resp))
            lru.put(key, entry)
        return serve(entry, conditional=True)

    return cached_get


def install(
    app: Any,
    *,
    callback_entries: int = 2048,
    callback_bytes: int = 16 << 20,
    page_entries: int = 64,
    page_bytes: int = 4 << 20,
    static_entries: int = 64,
    static_bytes: int = 16 << 20,
) -> DashCaches | None:
    """Cache a Dash app's callback answers, page shell and static files (bounded LRUs).

    Call it once, after the callbacks are registered. Returns the caches (or ``None`` when
    ``TRUSTSURVEY_DASHBOARD_CACHE=0``). A callable ``app.layout`` (a layout per request) is
    not cached. At most 16 + 4 + 16 MiB per worker with the defaults (the demo study's
    dashboard needs a few MiB of answers and 3 MiB of static files).
    """
    if os.environ.get(CACHE_ENV, "1").strip() == "0":
        return None
    server: Flask = app.server
    prefix = app.config.routes_pathname_prefix
    caches = DashCaches(
        callbacks=LruBytes(max_entries=callback_entries, max_bytes=callback_bytes),
        pages=LruBytes(max_entries=page_entries, max_bytes=page_bytes),
        static=LruBytes(max_entries=static_entries, max_bytes=static_bytes),
    )
    views = server.view_functions
    for endpoint, view in list(views.items()):
        if endpoint == prefix + "_dash-update-component":
            views[endpoint] = _wrap_callbacks(view, caches.callbacks, server)
        elif endpoint in {prefix, prefix + "<path:path>", prefix + "_dash-dependencies"} or (
            endpoint == prefix + "_dash-layout" and not callable(getattr(app, "layout", None))
        ):
            views[endpoint] = _wrap_get(view, caches.pages, server, _page_policy)
        elif endpoint.endswith(".static") or endpoint in {
            prefix + "_favicon.ico",
            prefix + "_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
        }:
            views[endpoint] = _wrap_get(view, caches.static, server, _static_policy)
    server.extensions["trustsurvey_cache"] = caches
    return caches

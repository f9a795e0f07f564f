"""HTTP hardening of the dashboard server: security headers, request limits, basic auth.

- Basic auth is on when both ``TRUSTSURVEY_DASHBOARD_USER`` and
  ``TRUSTSURVEY_DASHBOARD_PASSWORD`` are set; it guards every route (pages, assets, component
  suites, callbacks and downloads). Run behind HTTPS when it is on.
- A request body over ``TRUSTSURVEY_DASHBOARD_MAX_BODY`` bytes (default 1 MiB; a callback
  body is a few hundred bytes) is answered 413 before it is read.
- Each client address may make ``TRUSTSURVEY_DASHBOARD_RATE`` requests per second on average
  with bursts of ten times that (default 50; ``0`` turns the limit off, e.g. for load tests
  from one address); past that it is answered 429 with ``Retry-After``. The buckets live in
  each worker process.
- The Content-Security-Policy lets the page run only this server's scripts and Dash's own
  inline scripts (by hash), never a string as code (no ``'unsafe-eval'``): Dash's renderer
  and components and the plotly.js "basic" bundle served from ``assets/`` do not evaluate
  strings. Their few ``Function(...)`` calls are bundler and polyfill fallbacks reached only in
  a browser without ``globalThis`` or ``Function.prototype.bind``; the browser tests open
  every page in both languages and count CSP violations (none).
"""

from __future__ import annotations

import base64
import hmac
import math
import os
import threading
import time
from collections.abc import Callable, Mapping

from flask import Flask, Response, request

USER_ENV = "TRUSTSURVEY_DASHBOARD_USER"
PASSWORD_ENV = "TRUSTSURVEY_DASHBOARD_PASSWORD"
MAX_BODY_ENV = "TRUSTSURVEY_DASHBOARD_MAX_BODY"
RATE_ENV = "TRUSTSURVEY_DASHBOARD_RATE"
#: default largest request body in bytes
MAX_BODY = 1 << 20
#: default requests per second per client address (bursts of ten times as many)
RATE = 50.0


class RateLimiter:
    """Token buckets per client: ``rate`` tokens a second, at most ``burst`` saved up.

    >>> clock = iter([0.0, 0.0, 0.0, 1.0]).__next__
    >>> limit = RateLimiter(rate=1, burst=2, clock=clock)
    >>> [limit.wait("a"), limit.wait("a"), limit.wait("a"), limit.wait("a")]
    [0.0, 0.0, 1.0, 0.0]
    """

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """0 when ``client`` may go on (a token is taken), else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget the fullest buckets: they are idle
                full = [
                    c
                    for c, (t, w) in self._buckets.items()
                    if t + (now - w) * self.rate >= self.burst
                ]
                for c in full:
                    del self._buckets[c]
            return (1 - tokens) / self.rate


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < 0 or math.isnan(value):
        raise ValueError(f"{name} must be 0 or more, not {raw!r}")
    return value


def content_security_policy(script_hashes: list[str]) -> str:
    """A CSP allowing only this server's scripts (plus Dash's inline scripts by hash).

    >>> "'unsafe-eval'" in content_security_policy(["'sha256-x'"])
    False
    """
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install(server: Flask, script_hashes: list[str], env: Mapping[str, str] | None = None) -> None:
    """Add the headers to every response and, if configured, basic auth to every request."""
    env = os.environ if env is None else env
    csp = content_security_policy(script_hashes)
    user, password = env.get(USER_ENV), env.get(PASSWORD_ENV)
    max_body = int(_number(env, MAX_BODY_ENV, MAX_BODY))
    rate = _number(env, RATE_ENV, RATE)
    server.config["MAX_CONTENT_LENGTH"] = max_body  # a body without a length is cut there too
    limiter = RateLimiter(rate, 10 * rate) if rate > 0 else None

    @server.before_request
    def _limits() -> Response | None:
        if limiter is not None:
            wait = limiter.wait(request.remote_addr or "")
            if wait > 0:
                return Response(
                    "Too many requests.", 429, {"Retry-After": str(max(1, math.ceil(wait)))}
                )
        if request.content_length is not None and request.content_length > max_body:
            return Response(f"Request body over {max_body} bytes.", 413)
        return None

    if user and password:
        expected = base64.b64encode(f"{user}:{password}".encode()).decode()

        @server.before_request
        def _basic_auth() -> Response | None:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "basic" and hmac.compare_digest(token.strip(), expected):
                return None
            return Response(
                "Authentication required.",
                401,
                {"WWW-Authenticate": 'Basic realm="trustsurvey", charset="UTF-8"'},
            )

    @server.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
        return response

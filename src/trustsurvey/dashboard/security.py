"""HTTP hardening of the dashboard server: security headers and optional basic auth.

Basic auth is on when both ``TRUSTSURVEY_DASHBOARD_USER`` and
``TRUSTSURVEY_DASHBOARD_PASSWORD`` are set; it guards every route (pages, assets, component
suites, callbacks and downloads). Run behind HTTPS when it is on.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Mapping

from flask import Flask, Response, request

USER_ENV = "TRUSTSURVEY_DASHBOARD_USER"
PASSWORD_ENV = "TRUSTSURVEY_DASHBOARD_PASSWORD"


def content_security_policy(script_hashes: list[str]) -> str:
    """A CSP allowing only this server's scripts (plus Dash's inline renderer by hash)."""
    scripts = " ".join(["'self'", *script_hashes, "'unsafe-eval'"])
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

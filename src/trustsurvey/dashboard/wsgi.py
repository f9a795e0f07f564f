"""WSGI entry for production: ``gunicorn trustsurvey.dashboard.wsgi:application``.

The bundle path comes from ``TRUSTSURVEY_BUNDLE``; an optional dashboard configuration from
``TRUSTSURVEY_DASHBOARD_CONFIG``; basic auth from ``TRUSTSURVEY_DASHBOARD_USER`` and
``TRUSTSURVEY_DASHBOARD_PASSWORD``. The app is built on first access of ``application``
(in the gunicorn master with ``--preload``, so workers fork with the bundle already read).

:func:`gunicorn_argv` is the server configuration ``trustsurvey dashboard --production`` and
``benchmarks/bench_load.py`` both use: ``gthread`` workers (a few threads each, so a slow
client or download does not block a worker), ``--preload`` (one bundle read, copy-on-write
pages shared by the workers, fast worker restarts), ``--max-requests`` with jitter (each
worker is recycled after some thousands of requests, so memory stays bounded even if a
library leaks), HTTP keep-alive of 5 s and worker heartbeats in ``/dev/shm``; the built app
is moved out of the garbage collector's reach (``gc.freeze``) before the workers fork.

>>> argv = gunicorn_argv("127.0.0.1", 8050, workers=2, threads=4, executable="gunicorn")
>>> argv[:3], argv[argv.index("--worker-class") + 1], argv[-1]
(['gunicorn', '--bind', '127.0.0.1:8050'], 'gthread', 'trustsurvey.dashboard.wsgi:application')
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any

from trustsurvey.errors import PublishError

BUNDLE_ENV = "TRUSTSURVEY_BUNDLE"
CONFIG_ENV = "TRUSTSURVEY_DASHBOARD_CONFIG"
ENTRY = "trustsurvey.dashboard.wsgi:application"
MAX_REQUESTS = 20_000
MAX_REQUESTS_JITTER = 2_000
KEEP_ALIVE = 5
_APP: Any = None


def build() -> Any:
    """The Flask server of the dashboard for the bundle named in the environment."""
    path = os.environ.get(BUNDLE_ENV)
    if not path:
        raise PublishError(
            f"{BUNDLE_ENV} is not set",
            item=BUNDLE_ENV,
            hint=f"export {BUNDLE_ENV}=STUDY/out/bundle before starting gunicorn",
        )
    from trustsurvey.dashboard.app import create_app

    return create_app(path, config=os.environ.get(CONFIG_ENV) or None).server


def gunicorn_argv(
    host: str,
    port: int,
    *,
    workers: int = 2,
    threads: int = 4,
    access_log: bool = True,
    log_level: str = "info",
    max_requests: int = MAX_REQUESTS,
    executable: str | None = None,
) -> list[str]:
    """The gunicorn command line of the production dashboard (see the module docstring).

    ``max_requests=0`` turns worker recycling off. Raises :class:`PublishError` for a
    worker or thread count outside 1..64.
    """
    for name, value in (("--workers", workers), ("--threads", threads)):
        if not 1 <= value <= 64:
            raise PublishError(
                f"{name} {value} is outside 1..64", item=name, hint="about 2 x CPU cores workers"
            )
    if executable is None:
        local = Path(sys.executable).with_name("gunicorn")
        executable = str(local) if local.exists() else "gunicorn"
    argv = [
        executable,
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--preload",
        "--keep-alive",
        str(KEEP_ALIVE),
        "--timeout",
        "60",
        "--graceful-timeout",
        "20",
        "--log-level",
        log_level,
    ]
    if max_requests > 0:
        jitter = min(MAX_REQUESTS_JITTER, max_requests // 10)
        argv += ["--max-requests", str(max_requests), "--max-requests-jitter", str(jitter)]
    if Path("/dev/shm").is_dir():
        argv += ["--worker-tmp-dir", "/dev/shm"]
    if access_log:
        argv += ["--access-logfile", "-"]
    return [*argv, ENTRY]


def __getattr__(name: str) -> Any:
    global _APP
    if name == "application":
        if _APP is None:
            _APP = build()
            # Move the app, the bundle and every imported module out of the collector's
            # reach: workers forked from a --preload master then never write to those shared
            # pages in a full collection (copy-on-write pages stay shared: no multi-MiB step
            # in memory, no long gen-2 pause). Python docs, gc.freeze: for pre-fork servers.
            gc.collect()
            gc.freeze()
        return _APP
    raise AttributeError(name)

"""WSGI entry for production: ``gunicorn trustsurvey.dashboard.wsgi:application``.

The bundle path comes from ``TRUSTSURVEY_BUNDLE``; an optional dashboard configuration from
``TRUSTSURVEY_DASHBOARD_CONFIG``; basic auth from ``TRUSTSURVEY_DASHBOARD_USER`` and
``TRUSTSURVEY_DASHBOARD_PASSWORD``. The app is built on first access of ``application``.
"""

from __future__ import annotations

import os
from typing import Any

from trustsurvey.errors import PublishError

BUNDLE_ENV = "TRUSTSURVEY_BUNDLE"
CONFIG_ENV = "TRUSTSURVEY_DASHBOARD_CONFIG"
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


def __getattr__(name: str) -> Any:
    global _APP
    if name == "application":
        if _APP is None:
            _APP = build()
        return _APP
    raise AttributeError(name)

"""The bilingual Dash dashboard of a results bundle.

It imports nothing but the bundle reader and plotting helpers, so it has no code path to
microdata. ``create_app(bundle)`` builds the app; ``trustsurvey dashboard BUNDLE`` serves it;
``trustsurvey.dashboard.wsgi:application`` is the gunicorn entry.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from trustsurvey.dashboard.app import create_app

        return create_app
    raise AttributeError(f"module 'trustsurvey.dashboard' has no attribute {name!r}")

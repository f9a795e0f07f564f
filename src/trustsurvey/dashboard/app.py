"""The dashboard app factory.

>>> from trustsurvey.publish.fixture import demo_bundle
>>> app = create_app(demo_bundle())
>>> app.config.serve_locally, app.server.testing
(True, False)
"""

from __future__ import annotations

import os
from pathlib import Path

from dash import Dash

from trustsurvey.dashboard import callbacks, event_study, layout, security
from trustsurvey.dashboard.config import DashboardConfig, load_config
from trustsurvey.publish.bundle import Bundle, read_bundle

ASSETS = Path(__file__).parent / "assets"
#: plotly.js "basic" dist (scatter, bar, pie; MIT; 1.2 MB instead of the full 4.8 MB bundle
#: the plotly package ships), served from ``assets/``: every chart of the dashboard is a
#: scatter or bar trace. ``TRUSTSURVEY_FULL_PLOTLY=1`` serves the full bundle instead.
BASIC_PLOTLY = "plotly-basic.min.js"


def create_app(
    bundle: Bundle | str | Path,
    *,
    config: DashboardConfig | str | Path | None = None,
    lang: str | None = None,
) -> Dash:
    """A Dash app showing ``bundle`` (a loaded :class:`Bundle` or the path of one).

    The app reads only the bundle's aggregates. Assets (Dash, Plotly.js, CSS) are served by
    the app itself, so it works offline. Security headers are always on; HTTP basic auth is
    on when ``TRUSTSURVEY_DASHBOARD_USER`` and ``TRUSTSURVEY_DASHBOARD_PASSWORD`` are set.
    """
    b = bundle if isinstance(bundle, Bundle) else read_bundle(bundle)
    cfg = config if isinstance(config, DashboardConfig) else load_config(config, study=b.study)
    cfg = event_study.with_page(cfg, b)  # "Effect over time" for a staggered roll-out
    start = lang if lang in cfg.languages else cfg.default_language
    title = cfg.title or b.manifest.get("title") or {}
    app = Dash(
        __name__,
        title=str(title.get(start) or b.study) if isinstance(title, dict) else b.study,
        assets_folder=str(ASSETS),
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
        suppress_callback_exceptions=True,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    if os.environ.get("TRUSTSURVEY_FULL_PLOTLY") == "1":
        app.config.assets_ignore = BASIC_PLOTLY.replace(".", r"\.")
    else:
        _drop_full_plotly()
    app.index_string = app.index_string.replace("<html>", f'<html lang="{start}">', 1)
    app.layout = layout.shell(cfg, start, callbacks.render_shell(b, cfg, "/", start))
    callbacks.register(app, b, cfg, drawn=start)
    from trustsurvey.dashboard import cache  # bounded response caches (issue 8, load)

    cache.install(app)
    security.install(app.server, app.csp_hashes())
    return app


def _drop_full_plotly() -> None:
    """Do not serve the full plotly.js that Dash registers on dcc (``namespace='plotly'``):
    ``assets/plotly-basic.min.js`` defines ``window.Plotly`` before the renderer starts."""
    from dash import dcc

    dist = dcc._js_dist
    dist[:] = [r for r in dist if r.get("namespace") != "plotly"]

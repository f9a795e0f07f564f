"""Helpers of the privacy tests: a real dashboard server on 127.0.0.1 and an HTTP-only intruder.

The intruder knows nothing but what the server answers: ``/_dash-layout``,
``/_dash-dependencies``, the page contents returned by the shell callback (which carry the
filter options), the page callbacks for every combination of those options, and the
downloads (CSV/XLSX) of what was shown.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.serving import make_server

CALLBACK = "/_dash-update-component"
TIMEOUT = 30


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve a Dash app's Flask server in a thread (threaded werkzeug, as the browser tests)."""
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def parse_outputs(output: str) -> list[dict[str, Any]]:
    """Dash's ``output`` string (``..a.b...c.d..`` for several) as output specs."""
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    outs = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        outs.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop})
    return outs


def callback_body(
    dep: dict[str, Any], inputs: list[Any], state: list[Any], changed: int = 0
) -> dict[str, Any]:
    """The JSON body the Dash renderer would POST for ``dep`` with these values."""
    outs = parse_outputs(dep["output"])
    ins = [{**i, "value": v} for i, v in zip(dep["inputs"], inputs, strict=True)]
    sts = [{**s, "value": v} for s, v in zip(dep["state"], state, strict=True)]
    ident = ins[changed]["id"]
    ident = ident if isinstance(ident, str) else json.dumps(ident, separators=(",", ":"))
    return {
        "output": dep["output"],
        "outputs": outs if len(outs) > 1 else outs[0],
        "inputs": ins,
        "state": sts,
        "changedPropIds": [f"{ident}.{ins[changed]['property']}"],
    }


def csv_tables(raw: bytes, several: bool) -> list[Any]:
    """The tables of a downloaded CSV: one, or (a page of several tables) one block per
    table, each under a line with its name and after an empty line."""
    import io

    import pandas as pd

    text = raw.decode("utf-8-sig")
    if not several:
        return [pd.read_csv(io.StringIO(text))]
    blocks = [b for b in text.split("\n\n") if b.strip()]
    return [pd.read_csv(io.StringIO(b.split("\n", 1)[1])) for b in blocks]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every Dash component (dict with ``type``/``props``) inside a JSON tree."""
    if isinstance(node, dict):
        if "props" in node and "type" in node:
            yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


@dataclass
class Intruder:
    """An HTTP client that records every response body it receives."""

    base: str
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, bytes]] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)
    _deps: list[dict[str, Any]] = field(default_factory=list)

    def get(self, path: str) -> requests.Response:
        r = self.session.get(self.base + path, headers=self.headers, timeout=TIMEOUT)
        self.seen.append((path, r.content))
        return r

    def post(self, body: dict[str, Any]) -> requests.Response:
        r = self.session.post(
            self.base + CALLBACK, json=body, headers=self.headers, timeout=TIMEOUT
        )
        self.seen.append((CALLBACK + " " + json.dumps(body)[:200], r.content))
        return r

    def deps(self) -> list[dict[str, Any]]:
        return self.get("/_dash-dependencies").json()

    def dep(self, first_input: str) -> dict[str, Any]:
        if not self._deps:
            self._deps = self.deps()
        for d in self._deps:
            ident = d["inputs"][0]["id"]
            if ident.startswith("{"):
                ident = json.loads(ident).get("type")
            if ident == first_input:
                return d
        raise KeyError(first_input)

    def page_content(self, path: str, lang: str) -> list[Any]:
        """The page components the shell callback returns for a URL (with filter options)."""
        r = self.post(callback_body(self.dep("url"), [path, lang], []))
        r.raise_for_status()
        return r.json()["response"]["page"]["children"]

    def options(self, path: str, lang: str) -> dict[str, list[Any]]:
        """Offered values of every filter control of a page, by component id."""
        out: dict[str, list[Any]] = {}
        for comp in walk(self.page_content(path, lang)):
            props = comp["props"]
            if "options" in props and isinstance(props.get("id"), str):
                out[props["id"]] = [
                    o["value"] if isinstance(o, dict) else o for o in props["options"]
                ]
        return out

    def update(self, first_input: str, values: list[Any], lang: str) -> dict[str, Any]:
        dep = self.dep(first_input)
        r = self.post(callback_body(dep, values, [lang] * len(dep["state"])))
        r.raise_for_status()
        return r.json()["response"]

    def download(
        self, page: str, shown: dict[str, Any], fmt: str, lang: str = "en"
    ) -> requests.Response:
        dep = self.dep("dl-csv")
        ids = [{"type": "dl-csv", "page": page}, {"type": "dl-xlsx", "page": page}]
        body = {
            "output": dep["output"],
            "outputs": {"id": {"type": "download", "page": page}, "property": "data"},
            "inputs": [
                {"id": ids[0], "property": "n_clicks", "value": 1 if fmt == "csv" else 0},
                {"id": ids[1], "property": "n_clicks", "value": 1 if fmt == "xlsx" else 0},
            ],
            "state": [
                {"id": {"type": "shown", "page": page}, "property": "data", "value": shown},
                {"id": "lang-switch", "property": "value", "value": lang},  # names the file
            ],
            "changedPropIds": [
                json.dumps(ids[0 if fmt == "csv" else 1], separators=(",", ":")) + ".n_clicks"
            ],
        }
        return self.post(body)


def subsets(values: list[Any], max_size: int = 2) -> Iterator[list[Any]]:
    """Every non-empty subset of ``values`` up to ``max_size`` elements, and all of them."""
    for k in range(1, min(max_size, len(values)) + 1):
        for combo in itertools.combinations(values, k):
            yield list(combo)
    if len(values) > max_size:
        yield list(values)

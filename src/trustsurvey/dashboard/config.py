"""Per-study dashboard configuration (``dashboards/<study>.yaml``).

Keys (all optional)::

    title: {uk: "...", en: "..."}       # defaults to the bundle's study title
    languages: [uk, en]                  # languages offered by the switch
    default_language: uk
    pages: [overview, indicators, communities, problems, focus_groups, programme,
           methodology]              # event_study: added after the overview whenever the
                                     # bundle has a staggered roll-out's event study
    default_outcome: q7_trust            # outcome selected on first load (default: the
                                         # first outcome of the study's analysis plan)
    thresholds: {min_cell: 30, max_cv: 0.3}   # shown in the methodology text; the bundle's
                                              # policy always wins if it is stricter

>>> DashboardConfig().pages[0]
'overview'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trustsurvey.errors import PublishError

PAGES: tuple[str, ...] = (
    "overview",
    "indicators",
    "communities",
    "problems",
    "focus_groups",
    "programme",
    "methodology",
)
PATHS: dict[str, str] = {
    "overview": "/",
    "indicators": "/indicators",
    "communities": "/communities",
    "problems": "/problems",
    "focus_groups": "/focus-groups",
    "programme": "/programme",
    "methodology": "/methodology",
    "event_study": "/event-study",
}
#: pages a configuration may list that are not shown by default: "event_study" is added
#: after the overview whenever the bundle has a staggered roll-out's event study
OPTIONAL_PAGES: tuple[str, ...] = ("event_study",)


@dataclass(frozen=True)
class DashboardConfig:
    """What the dashboard of one study shows."""

    title: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ("uk", "en")
    default_language: str = "uk"
    pages: tuple[str, ...] = PAGES
    default_outcome: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)


def load_config(path: str | Path | None = None, *, study: str | None = None) -> DashboardConfig:
    """Read a config file; without ``path`` look for ``dashboards/<study>.yaml`` in the
    folder named by ``TRUSTSURVEY_DASHBOARDS`` or the current folder; else defaults."""
    if path is None and study:
        root = Path(os.environ.get("TRUSTSURVEY_DASHBOARDS", "dashboards"))
        candidate = root / f"{study}.yaml"
        path = candidate if candidate.is_file() else None
    if path is None:
        return DashboardConfig()
    import yaml

    from trustsurvey._yaml import load_checked

    file = Path(path)

    def duplicate(key_path: str, key: str, line: int, first: int) -> None:
        raise PublishError(
            f"{key_path}: the key {key!r} is repeated (line {line}; first at line {first})",
            file=file,
            hint="keep one of the two entries",
        )

    try:
        raw = load_checked(file.read_text(encoding="utf-8"), on_duplicate=duplicate)[0] or {}
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise PublishError(
            f"cannot read the dashboard configuration ({err})",
            file=file,
            hint="fix the YAML or remove the file to use defaults",
        ) from err
    return config_from_mapping(raw, file=str(file))


def config_from_mapping(raw: Any, *, file: str | None = None) -> DashboardConfig:
    if not isinstance(raw, dict):
        raise PublishError(
            "the dashboard configuration must be a mapping", file=file, hint="see dashboards/"
        )
    known = {"title", "languages", "default_language", "pages", "default_outcome", "thresholds"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise PublishError(
            f"unknown dashboard setting(s): {', '.join(map(str, unknown))}",
            file=file,
            item=[str(u) for u in unknown],
            hint=f"use {', '.join(sorted(known))}",
        )
    pages = tuple(raw.get("pages") or PAGES)
    bad = [p for p in pages if p not in PAGES + OPTIONAL_PAGES]
    if bad:
        raise PublishError(
            f"unknown dashboard page(s): {', '.join(map(str, bad))}",
            file=file,
            item="pages",
            hint=f"pages are {', '.join(PAGES + OPTIONAL_PAGES)}",
        )
    langs = tuple(raw.get("languages") or ("uk", "en"))
    if any(lang not in ("uk", "en") for lang in langs):
        raise PublishError(
            "languages must be uk and/or en", file=file, item="languages", hint="e.g. [uk, en]"
        )
    default = raw.get("default_language") or langs[0]
    if default not in langs:
        raise PublishError(
            f"default_language {default!r} is not among languages",
            file=file,
            item="default_language",
            hint=f"use one of {', '.join(langs)}",
        )
    title = raw.get("title") or {}
    if isinstance(title, str):
        title = {"uk": title, "en": title}
    return DashboardConfig(
        title={str(k): str(v) for k, v in title.items()},
        languages=langs,
        default_language=default,
        pages=pages,
        default_outcome=raw.get("default_outcome"),
        thresholds=dict(raw.get("thresholds") or {}),
    )

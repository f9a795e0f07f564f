"""Write and read a results bundle: Parquet tables of aggregates plus ``manifest.json``.

``write_bundle`` normalises the tidy tables to their declared kinds, scans them for anything
that is not an aggregate, applies disclosure control (suppression, complementary suppression,
LP audit, reliability flags), writes everything into a temporary sibling folder and swaps it
into place with :func:`os.replace`, so a failed run leaves the previous bundle intact.
``read_bundle`` verifies every table's SHA-256 checksum against the manifest.

>>> import tempfile
>>> from trustsurvey.publish.fixture import synthetic_tables, synthetic_meta
>>> path = write_bundle(synthetic_tables(), tempfile.mkdtemp(), study_meta=synthetic_meta())
>>> b = read_bundle(path)
>>> b.study, sorted(b.tables)[:2], bool(b.tables["sample_sizes"]["suppressed"].any())
('synthetic', ['did', 'estimates'], True)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trustsurvey.errors import PublishError
from trustsurvey.publish.policy import DisclosurePolicy
from trustsurvey.publish.schema import KIND_ORDER, KINDS

FORMAT = "trustsurvey-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class Bundle:
    """A loaded bundle: its manifest and its tables (only what was published)."""

    path: Path | None
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def study(self) -> str:
        return str(self.manifest.get("study", ""))

    @property
    def policy(self) -> DisclosurePolicy:
        return DisclosurePolicy.from_settings(self.manifest.get("policy") or {})

    @property
    def labels(self) -> dict[str, Any]:
        return self.manifest.get("labels") or {}

    @property
    def waves(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("waves") or [])

    @property
    def plan(self) -> dict[str, Any]:
        """The study's analysis plan: ``outcomes`` and ``subgroups`` in reading order, and
        ``did_note`` ({uk, en}) when the study has no difference-in-differences."""
        return dict(self.manifest.get("plan") or {})

    def label(self, kind: str, key: Any, lang: str, *, outcome: str | None = None) -> str:
        """Label of ``key`` (e.g. a community code) in ``lang``; the key itself if none."""
        table = self.labels.get(kind, {})
        if outcome is not None:
            table = table.get(outcome, {})
        entry = table.get(str(key))
        if isinstance(entry, Mapping):
            return str(entry.get(lang) or entry.get("uk") or entry.get("en") or key)
        return str(entry) if entry else str(key)


def write_bundle(
    tables: Mapping[str, pd.DataFrame | Sequence[pd.DataFrame] | None],
    out_dir: str | Path,
    *,
    study_meta: Mapping[str, Any],
    policy: DisclosurePolicy | Mapping[str, Any] | None = None,
    previous: str | Path | None = None,
    derived: Callable[[Mapping[str, pd.DataFrame]], Mapping[str, pd.DataFrame | None]]
    | None = None,
) -> Path:
    """Write ``out_dir/bundle`` atomically and return its path.

    Parameters
    ----------
    tables
        Table kind (see :data:`trustsurvey.publish.schema.KINDS`) -> tidy DataFrame, or a
        list of frames concatenated (e.g. estimates by community and by arm). Absent or
        ``None`` kinds are skipped.
    out_dir
        The study's output folder; the bundle goes to ``out_dir/bundle``.
    study_meta
        ``study`` (name), optional ``title``, ``waves``, ``questionnaire_hash``,
        ``n_respondents``, ``arms`` (community -> arm), ``labels``, ``pii_items``,
        ``free_text_items``.
    policy
        :class:`DisclosurePolicy` or the ``publish:`` mapping of ``study.yaml``.
    previous
        The bundle folder of the study's last *released* results, when this one updates them
        (``publish.previous_bundle`` in ``study.yaml``). A cell hidden there stays hidden here
        unless its sample changed by at least the protection interval: otherwise the
        difference of the two releases would narrow it (see
        :func:`trustsurvey.publish.suppression.protect_tables`).
    derived
        Called with the protected tables (suppressed values blanked); returns more tables of
        kinds without a count of respondents, computed only from what is published (e.g.
        small-area estimates that leave suppressed communities out of their fit).
    """
    from trustsurvey.publish.nchs import (
        apply_reliability_rule,
        binary_outcomes,
        without_unreliable,
    )
    from trustsurvey.publish.scan import scan_tables
    from trustsurvey.publish.suppression import protect_tables

    pol = DisclosurePolicy.from_settings(policy)
    if not isinstance(study_meta, Mapping) or not study_meta.get("study"):
        raise PublishError(
            "study_meta must name the study",
            item="study_meta.study",
            hint="pass study_meta={'study': 'my-study', ...}",
        )
    normal = normalized_tables(tables, study_meta.get("arms") or {})
    if not normal:
        raise PublishError(
            "no tables to publish", item="tables", hint="pass at least one table kind"
        )
    scan_args = {
        "n_respondents": study_meta.get("n_respondents"),
        "pii_items": study_meta.get("pii_items") or (),
        "free_text_items": study_meta.get("free_text_items") or (),
    }
    scan_tables(normal, **scan_args)
    before = without_unreliable(_previous_tables(previous, str(study_meta["study"])))
    published, audit = protect_tables(normal, pol, previous=before)
    published = apply_reliability_rule(published, pol, binary_outcomes(study_meta))
    if derived is not None:
        published, audit = _with_derived(derived(published), published, audit, pol, scan_args)
    scan_tables(published, **scan_args)
    manifest = _manifest(study_meta, pol, published, audit)
    return _write_atomically(Path(out_dir), published, manifest)


def normalized_tables(
    tables: Mapping[str, pd.DataFrame | Sequence[pd.DataFrame] | None],
    arms: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables as :func:`write_bundle` protects them: each kind (a frame or a list of
    frames, concatenated) normalised (:func:`trustsurvey.publish.normalize.normalize_table`),
    in the bundle's order of kinds; ``arms`` maps communities to their arms.

    >>> from trustsurvey.publish.fixture import synthetic_tables
    >>> t = synthetic_tables()
    >>> list(normalized_tables({"sample_sizes": t["sample_sizes"]}))
    ['sample_sizes']
    """
    from trustsurvey.publish.normalize import normalize_table

    for kind in tables:
        if kind not in KINDS:
            raise PublishError(
                f"unknown table kind {kind!r}", item=kind, hint=f"use one of {', '.join(KINDS)}"
            )
    normal: dict[str, pd.DataFrame] = {}
    for kind in KIND_ORDER:
        value = tables.get(kind)
        if value is None:
            continue
        frames = [value] if isinstance(value, pd.DataFrame) else list(value)
        if not frames:
            continue
        frames = [_without_attrs(f) if isinstance(f, pd.DataFrame) else f for f in frames]
        parts = [normalize_table(kind, f, arms=arms or {}) for f in frames]
        normal[kind] = normalize_table(kind, pd.concat(parts, ignore_index=True))
    return normal


def _with_derived(
    extra: Mapping[str, pd.DataFrame | None],
    published: dict[str, pd.DataFrame],
    audit: pd.DataFrame,
    pol: DisclosurePolicy,
    scan_args: Mapping[str, Any],
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Add tables computed from the protected ones (kinds without a count of respondents)."""
    from trustsurvey.publish.normalize import normalize_table
    from trustsurvey.publish.scan import scan_tables
    from trustsurvey.publish.suppression import protect_tables

    normal = {}
    for kind, frame in extra.items():
        if frame is None or frame.empty:
            continue
        if kind not in KINDS or KINDS[kind].count is not None:
            raise PublishError(
                f"derived table kind {kind!r} is unknown or counts respondents",
                item=kind,
                hint="derive only kinds without a count column",
            )
        normal[kind] = normalize_table(kind, _without_attrs(frame))
    if not normal:
        return published, audit
    scan_tables(normal, **scan_args)
    more, more_audit = protect_tables(normal, pol)
    merged = {**published, **more}
    ordered = {k: merged[k] for k in KIND_ORDER if k in merged}
    return ordered, pd.concat([audit, more_audit], ignore_index=True)


def _previous_tables(previous: str | Path | None, study: str) -> dict[str, pd.DataFrame] | None:
    """The published tables of the previous release of the same study."""
    if previous is None:
        return None
    old = read_bundle(previous)
    if old.study != study:
        raise PublishError(
            f"the previous bundle is of study {old.study!r}, not {study!r}",
            file=Path(previous),
            item="publish.previous_bundle",
            hint="point publish.previous_bundle to the last released bundle of this study",
        )
    return dict(old.tables)


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without ``DataFrame.attrs``: Parquet would store them in the file's metadata,
    a channel for anything (a fit's covariance, microdata) that is not a published table."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _manifest(
    meta: Mapping[str, Any],
    policy: DisclosurePolicy,
    tables: Mapping[str, pd.DataFrame],
    audit: pd.DataFrame,
) -> dict[str, Any]:
    from trustsurvey import __version__

    waves = meta.get("waves")
    if waves is None:
        codes = sorted({int(w) for df in tables.values() if "wave" in df for w in df["wave"]})
        waves = [{"code": c} for c in codes if c]
    suppressed = {
        k: {
            "small_cell": int((df["suppression_reason"] == "small_cell").sum()),
            # hidden to protect another cell: a complement, or a count the previous release
            # hid (``previous_release``, also counted on its own)
            "complementary": int(
                df["suppression_reason"].isin(["complementary", "previous_release"]).sum()
            ),
            "previous_release": int((df["suppression_reason"] == "previous_release").sum()),
            "n_withheld": int((df["suppression_reason"] == "n_withheld").sum()),
            "unreliable": int((df["suppression_reason"] == "unreliable").sum()),
        }
        for k, df in tables.items()
        if "suppressed" in df
    }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "study": str(meta["study"]),
        "title": meta.get("title") or {"uk": str(meta["study"]), "en": str(meta["study"])},
        "waves": _jsonable(waves),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "software": {"trustsurvey": __version__, "pandas": pd.__version__},
        "questionnaire_hash": meta.get("questionnaire_hash"),
        "policy": policy.to_dict(),
        "disclosure": {
            "suppressed": suppressed,
            "unreliable": {
                k: int(df["unreliable"].sum()) for k, df in tables.items() if "unreliable" in df
            },
            "audited_cells": len(audit),
            "min_width": {col: float(g["width"].min()) for col, g in audit.groupby("column")},
        },
        "labels": _jsonable(meta.get("labels") or {}),
        "plan": _jsonable(meta.get("plan") or {}),
        "tables": {},
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_atomically(
    out_dir: Path, tables: Mapping[str, pd.DataFrame], manifest: dict[str, Any]
) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PublishError(
            f"cannot create the output folder: {err.strerror}",
            file=out_dir,
            hint="check the path and its permissions",
        ) from err
    final = out_dir / "bundle"
    tmp = Path(tempfile.mkdtemp(prefix=".bundle-new-", dir=out_dir))
    try:
        for kind, df in tables.items():
            file = tmp / f"{kind}.parquet"
            df.to_parquet(file, index=False)
            manifest["tables"][kind] = {
                "file": file.name,
                "sha256": _sha256(file),
                "rows": len(df),
                "kind": kind,
                "description": KINDS[kind].doc,
                "schema": {c: str(t) for c, t in df.dtypes.items()},
            }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=".bundle-old-", dir=out_dir))
            os.replace(final, old / "bundle")
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise PublishError(
            f"cannot write the bundle: {err.strerror or err}",
            file=final,
            hint="check free disk space and permissions; the previous bundle is unchanged",
        ) from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_bundle(path: str | Path) -> Bundle:
    """Load a bundle folder (or its ``manifest.json``), verifying every table's checksum."""
    root = Path(path)
    if root.name == MANIFEST:
        root = root.parent
    mfile = root / MANIFEST
    if not mfile.is_file():
        raise PublishError(
            "not a results bundle (no manifest.json)",
            file=root,
            hint="pass the folder written by write_bundle, e.g. STUDY/out/bundle",
        )
    try:
        manifest = json.loads(mfile.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PublishError(
            f"manifest.json is not valid JSON ({err})",
            file=mfile,
            hint="write the bundle again",
        ) from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PublishError(
            "manifest.json is not a trustsurvey bundle manifest",
            file=mfile,
            hint="write the bundle again with trustsurvey",
        )
    tables: dict[str, pd.DataFrame] = {}
    for kind, entry in (manifest.get("tables") or {}).items():
        if kind not in KINDS or not isinstance(entry, dict):
            raise PublishError(
                f"manifest lists an unknown table {kind!r}",
                file=mfile,
                item=kind,
                hint="write the bundle again with this version of trustsurvey",
            )
        file = root / str(entry.get("file", ""))
        if file.parent != root or not file.is_file():
            raise PublishError(
                "a table listed in the manifest is missing",
                file=file,
                item=kind,
                hint="copy the whole bundle folder, or write it again",
            )
        if _sha256(file) != entry.get("sha256"):
            raise PublishError(
                "checksum mismatch: the table was changed or damaged after it was written",
                file=file,
                item=kind,
                hint="write the bundle again; never edit published tables by hand",
            )
        tables[kind] = pd.read_parquet(file)
    from trustsurvey.publish.scan import scan_tables

    scan_tables(tables, file=str(root))
    return Bundle(root, manifest, tables)

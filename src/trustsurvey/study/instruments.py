"""Find a questionnaire named in ``study.yaml``: a path, or a bundled instrument name.

>>> resolve_questionnaire("police_trust_core", Path(".")).name
'police_trust_core.yaml'
"""

from __future__ import annotations

from pathlib import Path

from trustsurvey.errors import StudyError


def bundled_dirs() -> list[Path]:
    """Folders holding the bundled instruments (package copy first, then the repository's)."""
    here = Path(__file__).resolve().parent.parent
    dirs = [here / "questionnaire" / "instruments"]
    for parent in here.parents:
        candidate = parent / "questionnaires"
        if candidate.is_dir():
            dirs.append(candidate)
            break
    return dirs


def bundled_names() -> list[str]:
    """Names of the bundled instruments."""
    names: set[str] = set()
    for d in bundled_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.yaml"))
    return sorted(names)


def resolve_questionnaire(
    ref: str, folder: Path, *, study_file: Path | None = None, key: str = "questionnaire"
) -> Path:
    """The path of questionnaire ``ref``: relative to ``folder``, else a bundled name."""
    as_path = Path(ref)
    if not as_path.is_absolute():
        as_path = folder / as_path
    if as_path.is_file():
        return as_path
    looks_like_path = ref.endswith((".yaml", ".yml", ".xlsx", ".xls")) or "/" in ref
    if not looks_like_path:
        for d in bundled_dirs():
            candidate = d / f"{ref}.yaml"
            if candidate.is_file():
                return candidate
    known = ", ".join(bundled_names()) or "none found"
    raise StudyError(
        f"questionnaire '{ref}' not found (no file {as_path})",
        file=study_file,
        item=key,
        hint=f"give a path relative to the study folder or a bundled instrument ({known})",
    )

"""Read a YAML file into Python objects and remember the line of every key path.

Errors in ``study.yaml`` should say *where*: a syntax error gives the line and column PyYAML
reports, and later checks (unknown key, wrong type) look up the line of the key path they
complain about in the map returned here.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "s.yaml"
>>> _ = p.write_text("a:\\n  b: 1\\n")
>>> data, lines = load_yaml_with_lines(p)
>>> data, lines["a.b"]
({'a': {'b': 1}}, 2)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from trustsurvey._yaml import YamlLimitError, load_checked
from trustsurvey.errors import StudyError


def load_yaml_with_lines(path: Path) -> tuple[Any, dict[str, int]]:
    """Parse ``path``; return the data and a map ``key path -> 1-based line``.

    Raises
    ------
    StudyError
        naming the file and the line and column of a YAML syntax error.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise StudyError(
            f"is not UTF-8 text ({err.reason} at byte {err.start})",
            file=path,
            hint="save study.yaml as UTF-8",
        ) from err

    def duplicate(key_path: str, key: str, line: int, first: int) -> None:
        raise StudyError(
            f"{key_path}: the key {key!r} is repeated (line {line}; first at line {first})",
            file=path,
            hint="keep one of the two entries: YAML would silently keep the last",
        )

    try:
        data, lines = load_checked(text, on_duplicate=duplicate)
    except YamlLimitError as err:
        raise StudyError(
            f"{err} (line {err.line})",
            file=path,
            hint="write the structure out plainly (no deep nesting, no alias chains)",
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        problem = err.problem or err.context or "invalid YAML"
        raise StudyError(
            f"YAML syntax error at {where}: {problem}",
            file=path,
            hint=f"fix the YAML near line {mark.line + 1 if mark else '?'} "
            "(check indentation, colons and quotes)",
        ) from err
    except yaml.YAMLError as err:
        raise StudyError(f"YAML syntax error: {err}", file=path, hint="fix the YAML") from err
    return data, lines

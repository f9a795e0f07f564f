"""Every Python code block in README.md runs as written.

The blocks run in order in one namespace (a later block may use a name an earlier one made,
as a reader following the README would), in a scratch folder that sees the repository's
``tests/``, ``data/`` and ``questionnaires/`` folders, so files a block writes never land in
the checkout.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of every fenced ``python`` block."""
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in FENCE.finditer(text)]


def test_readme_has_python_blocks() -> None:
    assert len(python_blocks(README.read_text(encoding="utf-8"))) >= 5


def test_every_readme_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("tests", "data", "questionnaires"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": "readme"}
    for line, code in python_blocks(README.read_text(encoding="utf-8")):
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        except Exception as exc:  # name the block that failed, then fail
            pytest.fail(f"README.md block at line {line} failed: {type(exc).__name__}: {exc}")
    assert os.getcwd() == str(tmp_path)

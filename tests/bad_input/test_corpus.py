"""The bad-input corpus (tests/bad_inputs/cases.yaml): every case in one parametrised test.

For each case: the command exits with the expected status and one ``error:`` line (never a
traceback) naming the file, row or item and what to do; the error is the documented
:class:`~trustsurvey.errors.TrustSurveyError` subclass; no file other than the case's declared
outputs appears (atomic writes: nothing partial is left behind); and every input file is
byte-identical afterwards (sha256).
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import trustsurvey.errors as errors

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"
sys.path.insert(0, str(CORPUS))
import make_corpus  # noqa: E402

CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _prepare(case: dict[str, Any], tmp: Path) -> Path | None:
    if "file" in case:
        target = tmp / case["file"]
        shutil.copyfile(CORPUS / "files" / case["file"], target)
        return target
    if "build" in case:
        return make_corpus.BUILDERS[case["build"]](tmp)
    return None


def _fill(text: str, tmp: Path, source: Path | None) -> str:
    return text.format(tmp=tmp, input=source or "", name=source.name if source else "")


def _run_cli(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustsurvey", *args],
        capture_output=True,
        text=True,
        cwd=tmp,
        timeout=300,
    )


def _error_in_process(args: list[str], cls: type[Exception]) -> errors.TrustSurveyError:
    from trustsurvey.cli import app

    with pytest.raises(cls) as info:
        app(args, standalone_mode=False, prog_name="trustsurvey")
    return info.value


def test_corpus_is_large_and_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 100 and len(set(ids)) == len(ids)
    for case in CASES:
        assert ("run" in case) != ("call" in case), case["id"]
        assert "error" in case or "check" in case or "report" in case or "contains" in case


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    source = _prepare(case, tmp_path)
    before = _snapshot(tmp_path)
    expected = [_fill(s, tmp_path, source) for s in case.get("contains", [])]
    cls = getattr(errors, case["error"]) if "error" in case else None

    if "call" in case:
        assert cls is not None
        with pytest.raises(cls) as info:
            make_corpus.CALLS[case["call"]](tmp_path)
        message = str(info.value)
        assert info.value.hint, "a documented error says what to do"
    else:
        args = [_fill(a, tmp_path, source) for a in case["run"]]
        done = _run_cli(args, tmp_path)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == case["exit"], (done.returncode, done.stdout, done.stderr)
        message = done.stderr
        if case["exit"] == 2:
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
        if cls is not None:
            err = _error_in_process(args, cls)
            assert err.hint and str(err) in done.stderr

    for text in expected:
        assert text in message, f"{text!r} not in {message!r}"

    if "report" in case:
        report = (tmp_path / "study/out/validation/validation.csv").read_text(encoding="utf-8")
        for text in case["report"]:
            assert text in report, f"{text!r} not in validation.csv:\n{report}"

    after = _snapshot(tmp_path)
    changed = [p for p, h in before.items() if after.get(p) != h]
    assert not changed, f"input files changed or removed: {changed}"
    allowed = case.get("outputs", [])
    new = [p for p in after if p not in before]
    stray = [p for p in new if not any(fnmatch.fnmatch(p, g) for g in allowed)]
    assert not stray, f"files left behind: {stray}"
    if "check" in case:
        make_corpus.CHECKS[case["check"]](tmp_path)

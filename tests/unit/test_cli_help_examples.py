"""Every command's ``--help`` ends with example invocations; ``run --help`` lists its steps."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from trustsurvey.cli import app

REPO = Path(__file__).resolve().parents[2]


def _commands(cmd: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if hasattr(cmd, "commands"):  # a group (typer 0.29 vendors click: no isinstance check)
        return [p for name, sub in cmd.commands.items() for p in _commands(sub, (*path, name))]
    return [path]


COMMANDS = _commands(typer.main.get_command(app))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_walk_finds_groups_and_subcommands() -> None:
    assert ("run",) in COMMANDS and ("questionnaire", "check") in COMMANDS
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_help_shows_an_example_invocation(path: tuple[str, ...]) -> None:
    text = _help(path)
    example = re.compile(rf"^\W*trustsurvey {re.escape(' '.join(path))} (?!\[OPTIONS\])\S", re.M)
    assert "Examples:" in text and example.search(text), text


def test_run_help_lists_the_ten_steps_to_the_bundle() -> None:
    from trustsurvey.run.pipeline import STEPS

    text = _help(("run",))
    assert f"in {len(STEPS)} steps" in text and "published bundle" in text
    positions = [text.index(f"{i}. {s.name}: ") for i, s in enumerate(STEPS, 1)]
    assert positions == sorted(positions)
    assert STEPS[-1].name == "publish"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_demo_announces_the_dashboard_once() -> None:
    """The Makefile leaves the announcement to ``trustsurvey dashboard``, which makes it."""
    plan = subprocess.run(
        ["make", "-n", "demo", "VENV=.venv-none"], cwd=REPO, capture_output=True, text=True
    ).stdout
    assert "trustsurvey dashboard" in plan and "Serving the dashboard" not in plan
    source = (REPO / "src/trustsurvey/cli/publish.py").read_text(encoding="utf-8")
    assert source.count("Serving the dashboard") == 1

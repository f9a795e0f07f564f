"""Commands of the publish room (filled in as the room grows)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main ``trustsurvey`` app."""

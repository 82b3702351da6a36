"""``winback-grader grade PATH...``.

NOTE: minimal version: grades files one by one and prints JSON lines.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import WinbackGraderError
from ..grading import grade


def grade_command(
    paths: list[Path] = typer.Argument(..., help="Transcript files."),
    rubric: str = typer.Option("winback", "--rubric", help="A shipped rubric's name or a YAML file."),
    model: str | None = typer.Option(None, "--model", help="A litellm model string, or 'offline'."),
) -> None:
    """Grade transcripts against a rubric."""
    exit_code = 0
    for path in paths:
        try:
            scorecard = grade(path, rubric, model=model)
        except WinbackGraderError as exc:
            typer.echo(f"{path}: {exc}", err=True)
            exit_code = 2
            continue
        typer.echo(scorecard.model_dump_json())
        if scorecard.errors and exit_code == 0:
            exit_code = 1
    raise typer.Exit(exit_code)

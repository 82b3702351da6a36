"""``winback-grader rubric validate|show|schema``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..errors import RubricError
from ..rubric import load_rubric

rubric_app = typer.Typer(help="Check and show rubric files.", no_args_is_help=True)


@rubric_app.command("validate")
def validate_command(file: Path = typer.Argument(..., help="The rubric YAML file to check.")) -> None:
    """Check a rubric file and print every problem found."""
    try:
        rubric = load_rubric(file)
    except RubricError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{file}: valid rubric {rubric.id!r} version {rubric.version}")


@rubric_app.command("show")
def show_command(source: str = typer.Argument(..., help="A shipped rubric's name or a YAML file.")) -> None:
    """Print a rubric's sections, criteria, weights and scales."""
    try:
        rubric = load_rubric(source)
    except RubricError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    Console().print(rubric.model_dump_json(indent=2))

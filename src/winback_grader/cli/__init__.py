"""The ``winback-grader`` command line: a typer app wrapping the public API."""

from __future__ import annotations

import typer

from .grade_cmd import grade_command
from .rubric_cmd import rubric_app
from .transcribe_cmd import transcribe_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="winback-grader",
    help="Grade customer win-back calls against a weighted scorecard rubric.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold API keys
)
app.command("grade")(grade_command)
app.add_typer(rubric_app, name="rubric")
app.command("transcribe")(transcribe_command)


def main() -> None:
    """Run the command line."""
    app()

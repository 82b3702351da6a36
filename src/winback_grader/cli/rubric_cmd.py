"""``winback-grader rubric validate|show|schema``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..errors import RubricError
from ..rubric import Criterion, Rubric, load_rubric, rubric_json_schema

__all__ = ["effective_weights", "rubric_app"]

rubric_app = typer.Typer(help="Check and show rubric files.", no_args_is_help=True)


@rubric_app.command("validate")
def validate_command(
    file: Path = typer.Argument(..., help="The rubric YAML file to check."),
) -> None:
    """Check a rubric file and print every problem found (exit status 2 when there is any)."""
    try:
        rubric = load_rubric(file)
    except RubricError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{file}: OK, rubric {rubric.id!r} version {rubric.version!r}")


@rubric_app.command("show")
def show_command(
    source: str = typer.Argument(..., help="A shipped rubric's name or a YAML file."),
) -> None:
    """Print a rubric's sections, criteria, weights, effective share of the total and scales."""
    try:
        rubric = load_rubric(source)
    except RubricError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    Console().print(_rubric_table(rubric))


@rubric_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the rubric file format, for editors that validate YAML."""
    typer.echo(json.dumps(rubric_json_schema(), indent=2))


def effective_weights(rubric: Rubric) -> dict[str, float]:
    """Return each criterion's share of the total in percent, when every criterion is scored.

    With section weights, a criterion's share is its section's share of the section weights times
    its own share of the weights within the section. Without them, it is its share of every
    criterion weight in the rubric.
    """
    shares: dict[str, float] = {}
    if rubric.uses_section_weights:
        section_total = sum(section.weight or 0.0 for section in rubric.sections)
        for section in rubric.sections:
            section_share = (section.weight or 0.0) / section_total if section_total else 0.0
            criterion_total = sum(criterion.weight for criterion in section.criteria)
            for criterion in section.criteria:
                within = criterion.weight / criterion_total if criterion_total else 0.0
                shares[criterion.id] = 100 * section_share * within
        return shares

    criterion_total = sum(criterion.weight for criterion in rubric.criteria)
    for criterion in rubric.criteria:
        shares[criterion.id] = 100 * criterion.weight / criterion_total if criterion_total else 0.0
    return shares


def _rubric_table(rubric: Rubric) -> Table:
    title = f"{rubric.name or rubric.id} (id {rubric.id}, version {rubric.version})"
    caption = (
        f"pass threshold {rubric.pass_threshold:g}, auto-fail policy {rubric.auto_fail}; "
        "effective % is each criterion's share of the total when every criterion is scored"
    )
    table = Table(title=title, caption=caption)
    table.add_column("section / criterion (id)")
    table.add_column("weight", justify="right")
    table.add_column("effective %", justify="right")
    table.add_column("scale")
    table.add_column("critical")
    table.add_column("N/A")

    shares = effective_weights(rubric)
    for section in rubric.sections:
        section_weight = "" if section.weight is None else f"{section.weight:g}"
        table.add_row(f"[bold]{section.name}[/bold] ({section.id})", section_weight, "", "", "", "")
        for criterion in section.criteria:
            table.add_row(
                f"  {criterion.name} ({criterion.id})",
                f"{criterion.weight:g}",
                f"{shares[criterion.id]:.1f}",
                _scale_text(criterion),
                _critical_text(criterion),
                "yes" if criterion.na_allowed else "",
            )
    return table


def _scale_text(criterion: Criterion) -> str:
    if criterion.scale.kind == "binary":
        return "yes/no"
    return f"{criterion.scale.min}-{criterion.scale.max}"


def _critical_text(criterion: Criterion) -> str:
    if not criterion.critical:
        return ""
    if criterion.scale.kind == "binary":
        return "fails on no"
    return f"fails below {criterion.failure_threshold:g}"

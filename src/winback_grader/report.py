"""Rendering of scorecards: rich tables for people, and json, jsonl and csv writers for tools.

The table and explain views round for display only; the writers keep the unrounded values.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .analytics import GroupSummary
from .rubric import Rubric
from .scorecard import CriterionGrade, Scorecard

__all__ = [
    "calls_table",
    "criterion_means_table",
    "explain",
    "representatives_table",
    "weakest_criteria",
    "write_csv",
    "write_json",
    "write_jsonl",
]


def weakest_criteria(scorecard: Scorecard, count: int = 2) -> list[CriterionGrade]:
    """Return the ``count`` scored criteria with the lowest normalized score, ties in rubric order.

    Criteria at full marks are never listed, so a perfect call has no weakest criteria.
    """
    scored = [
        (grade.normalized, index, grade)
        for index, grade in enumerate(scorecard.grades)
        if grade.status == "scored" and grade.normalized is not None and grade.normalized < 1
    ]
    scored.sort(key=lambda item: (item[0], item[1]))
    return [grade for _, _, grade in scored[:count]]


def calls_table(scorecards: Sequence[Scorecard], rubric: Rubric) -> Table:
    """Build the per-call table: call id, agent, total, pass, auto-fail and weakest criteria."""
    table = Table(title=f"{rubric.name or rubric.id} ({rubric.id} {rubric.version})")
    table.add_column("call")
    table.add_column("agent")
    table.add_column("total", justify="right")
    table.add_column("pass")
    table.add_column("auto-fail")
    table.add_column("weakest criteria")
    for card in scorecards:
        weakest = ", ".join(_short_grade(grade, rubric) for grade in weakest_criteria(card))
        problems = [grade.criterion_id for grade in card.errors]
        if problems:
            weakest = f"errors: {', '.join(problems)}"
        elif card.grades and all(grade.status == "na" for grade in card.grades):
            # A row of dashes reads like a failed run, so the cell shows why nothing was scored.
            reasons = {grade.reasoning for grade in card.grades}
            weakest = reasons.pop() if len(reasons) == 1 else "every criterion N/A"
        table.add_row(
            card.transcript_id,
            str(card.metadata.get("agent_id") or "-"),
            _format_total(card.total),
            _format_passed(card.passed),
            Text("AUTO-FAIL", style="bold red") if card.auto_failed else Text("-"),
            weakest or "-",
        )
    return table


def representatives_table(summaries: Sequence[GroupSummary], rubric: Rubric) -> Table:
    """Build the per-representative table: calls, mean total, pass rate, won back, focus."""
    table = Table(title="Per representative")
    table.add_column("agent")
    table.add_column("team")
    table.add_column("calls", justify="right")
    table.add_column("mean total", justify="right")
    table.add_column("pass rate", justify="right")
    table.add_column("auto-fails", justify="right")
    table.add_column("won back", justify="right")
    table.add_column("training focus (weakest criteria)")
    for summary in summaries:
        focus = ", ".join(
            f"{criterion_id} {_format_share(summary.criterion_means.get(criterion_id))}"
            for criterion_id in summary.training_focus
        )
        table.add_row(
            summary.key,
            summary.team or "-",
            str(summary.calls),
            _format_total(summary.mean_total),
            _format_share(summary.pass_rate),
            str(summary.auto_fails),
            _format_share(summary.conversion_rate),
            focus or "-",
        )
    return table


def criterion_means_table(summaries: Sequence[GroupSummary], rubric: Rubric) -> Table:
    """Build a table of each criterion's mean score (0-100 %) per representative.

    Criteria are rows and representatives columns, so a 14-criterion rubric stays readable.
    """
    table = Table(title="Criterion means per representative (% of scale)")
    table.add_column("criterion")
    for summary in summaries:
        table.add_column(summary.key, justify="right")
    for criterion in rubric.criteria:
        table.add_row(
            criterion.id,
            *(_format_share(summary.criterion_means.get(criterion.id)) for summary in summaries),
        )
    return table


def explain(scorecard: Scorecard, rubric: Rubric) -> RenderableType:
    """Build one scorecard's full view: each criterion's status, score, reasoning and evidence."""
    header = Text.assemble(
        (f"Call {scorecard.transcript_id}", "bold"),
        f"  agent {scorecard.metadata.get('agent_id') or '-'}",
        f"  total {_format_total(scorecard.total)}",
        f"  {_format_passed(scorecard.passed)}",
        ("  AUTO-FAIL" if scorecard.auto_failed else "", "bold red"),
        f"  engine {scorecard.engine}" + (f" ({scorecard.model})" if scorecard.model else ""),
    )
    parts: list[RenderableType] = [header]
    section_scores = {section.section_id: section.score for section in scorecard.sections}
    for section in rubric.sections:
        parts.append(
            Text(
                f"\n{section.name} [{_format_total(section_scores.get(section.id))}]",
                style="bold underline",
            )
        )
        for criterion in section.criteria:
            grade = scorecard.grade(criterion.id)
            parts.append(
                Text(
                    f"  {criterion.name} ({criterion.id}): {_format_grade(grade, rubric)}",
                    style="bold",
                )
            )
            if grade.reasoning:
                parts.append(Text(f"    {grade.reasoning}"))
            if grade.error:
                parts.append(Text(f"    error: {grade.error}", style="red"))
            for evidence in grade.evidence:
                where = _format_time(evidence.start)
                turn = "?" if evidence.turn_index is None else str(evidence.turn_index)
                parts.append(
                    Text(
                        f'    [{where} turn {turn} {evidence.speaker or "?"}] "{evidence.quote}"',
                        style="dim",
                    )
                )
    return Group(*parts)


def write_json(scorecards: Sequence[Scorecard], stream: TextIO) -> None:
    """Write the scorecards as one JSON array."""
    json.dump([card.model_dump(mode="json") for card in scorecards], stream, indent=2)
    stream.write("\n")


def write_jsonl(scorecards: Sequence[Scorecard], stream: TextIO) -> None:
    """Write one scorecard per line as JSON."""
    for card in scorecards:
        stream.write(card.model_dump_json())
        stream.write("\n")


def write_csv(scorecards: Sequence[Scorecard], rubric: Rubric, stream: TextIO) -> None:
    """Write one CSV row per call: ids, total, pass, auto-fail, section and criterion scores.

    A criterion column contains the score on the criterion's own scale, ``na`` or ``error``.
    """
    section_ids = [section.id for section in rubric.sections]
    criterion_ids = [criterion.id for criterion in rubric.criteria]
    columns = [
        "call_id",
        "agent_id",
        "team",
        "outcome",
        "rubric_id",
        "rubric_version",
        "engine",
        "model",
        "total",
        "passed",
        "auto_failed",
        *(f"section.{section_id}" for section_id in section_ids),
        *criterion_ids,
    ]
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for card in scorecards:
        row: dict[str, Any] = {
            "call_id": card.transcript_id,
            "agent_id": card.metadata.get("agent_id", ""),
            "team": card.metadata.get("team", ""),
            "outcome": card.metadata.get("outcome", ""),
            "rubric_id": card.rubric_id,
            "rubric_version": card.rubric_version,
            "engine": card.engine,
            "model": card.model or "",
            "total": "" if card.total is None else card.total,
            "passed": "" if card.passed is None else card.passed,
            "auto_failed": card.auto_failed,
        }
        for section in card.sections:
            row[f"section.{section.section_id}"] = "" if section.score is None else section.score
        for grade in card.grades:
            row[grade.criterion_id] = grade.score if grade.status == "scored" else grade.status
        writer.writerow({column: row.get(column, "") for column in columns})


def _criterion_name(rubric: Rubric, criterion_id: str) -> str:
    try:
        return rubric.criterion(criterion_id).name
    except KeyError:
        return criterion_id


def _short_grade(grade: CriterionGrade, rubric: Rubric) -> str:
    return f"{grade.criterion_id} {_format_grade(grade, rubric)}"


def _format_grade(grade: CriterionGrade, rubric: Rubric) -> str:
    if grade.status == "na":
        return "N/A"
    if grade.status == "error" or grade.score is None:
        return "ERROR"
    try:
        scale = rubric.criterion(grade.criterion_id).scale
    except KeyError:
        return f"{grade.score:g}"
    if scale.kind == "binary":
        return "yes" if grade.score >= 1 else "no"
    return f"{grade.score:g}/{scale.max}"


def _format_total(total: float | None) -> str:
    return "-" if total is None else f"{total:.1f}"


def _format_passed(passed: bool | None) -> Text:
    if passed is None:
        return Text("-")
    return Text("PASS", style="green") if passed else Text("FAIL", style="red")


def _format_share(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


def _format_time(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"

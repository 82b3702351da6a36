"""The engine interface that the grading core calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..rubric import Criterion, Rubric
from ..scorecard import CriterionGrade, Usage
from ..transcript import Transcript

__all__ = ["Engine", "EngineResult"]


@dataclass
class EngineResult:
    """The grades of the criteria passed to one ``Engine.grade`` call, and what they cost."""

    grades: list[CriterionGrade]
    usage: Usage = field(default_factory=Usage)


class Engine(Protocol):
    """Grades criteria of one transcript.

    ``grade`` returns one grade per criterion passed, in the same order, and never raises for a
    model failure: such a criterion comes back with ``status="error"``.
    """

    name: str
    """``"llm"`` or ``"offline"``: the value recorded in ``CriterionGrade.engine``."""

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult: ...

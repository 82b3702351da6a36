"""The LLM engine: one structured-output prompt per criterion through litellm and instructor.

NOTE: placeholder that reports every criterion as an error; the real engine replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import GraderConfig
from ..rubric import Criterion, Rubric
from ..scorecard import CriterionGrade
from ..transcript import Transcript
from .base import EngineResult

__all__ = ["LLMEngine"]


class LLMEngine:
    """Grades criteria with a judge model reached through litellm."""

    name = "llm"

    def __init__(self, config: GraderConfig) -> None:
        self.config = config

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        grades = [CriterionGrade.failed(c, "LLM engine not built yet", engine="llm") for c in criteria]
        return EngineResult(grades=grades)

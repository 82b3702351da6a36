"""The offline phrase engine: scores criteria from the rubric's phrase indicators.

NOTE: placeholder that scores every criterion at its scale minimum; the real engine replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..rubric import Criterion, Rubric
from ..scorecard import CriterionGrade
from ..transcript import Transcript
from .base import EngineResult

__all__ = ["OfflineEngine"]


class OfflineEngine:
    """Scores criteria from phrase indicators, with no model and no network."""

    name = "offline"

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        grades = [
            CriterionGrade.scored(c, c.scale.min, reasoning="placeholder", engine="offline")
            for c in criteria
        ]
        return EngineResult(grades=grades)

"""winback_grader: grade customer win-back calls against a weighted scorecard rubric.

    >>> from winback_grader import grade
    >>> scorecard = grade("call.json")            # offline phrase engine, default rubric
    >>> scorecard.total, scorecard.passed

Set ``WINBACK_GRADER_MODEL`` (any litellm model string) or pass ``model=`` to grade with an LLM.
"""

from __future__ import annotations

from .batch import agrade_many, grade_many
from .config import GraderConfig
from .errors import (
    ConfigError,
    GradingError,
    RubricError,
    TemplateError,
    TranscriptError,
    WinbackGraderError,
)
from .grading import agrade, grade
from .rubric import Criterion, FewShotExample, Rubric, Scale, Section, load_rubric
from .scorecard import CriterionGrade, Evidence, Scorecard, SectionScore, Usage
from .transcribe import atranscribe, transcribe
from .transcript import Transcript, Turn, load_transcript

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Criterion",
    "CriterionGrade",
    "Evidence",
    "FewShotExample",
    "GraderConfig",
    "GradingError",
    "Rubric",
    "RubricError",
    "Scale",
    "Scorecard",
    "Section",
    "SectionScore",
    "TemplateError",
    "Transcript",
    "TranscriptError",
    "Turn",
    "Usage",
    "WinbackGraderError",
    "__version__",
    "agrade",
    "agrade_many",
    "atranscribe",
    "grade",
    "grade_many",
    "load_rubric",
    "load_transcript",
    "transcribe",
]

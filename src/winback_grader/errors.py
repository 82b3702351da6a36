"""The exceptions winback_grader raises.

    WinbackGraderError          base class: catch this to catch everything below
    ├── ConfigError             an invalid option, model string or environment setting
    ├── RubricError             a rubric file that is not valid (lists every problem found)
    ├── TranscriptError         a transcript that cannot be read
    ├── TemplateError           a prompt template that fails to render
    └── GradingError            a model call that failed for good; inside ``grade()`` it
                                becomes a ``CriterionGrade`` with ``status="error"``

Bad input (rubric, transcript, options) raises before any model is called.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "GradingError",
    "RubricError",
    "TemplateError",
    "TranscriptError",
    "WinbackGraderError",
]


class WinbackGraderError(Exception):
    """Base class of every error raised by winback_grader."""


class ConfigError(WinbackGraderError, ValueError):
    """An option, model string or environment setting is invalid."""


class RubricError(WinbackGraderError, ValueError):
    """A rubric file or rubric name is invalid.

    ``problems`` contains one line per problem, each naming the file, the path inside it,
    the line, the bad value and what is allowed; ``str()`` joins them.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems: list[str] = problems if problems is not None else [message]
        super().__init__(message)


class TranscriptError(WinbackGraderError, ValueError):
    """A transcript cannot be read: missing, empty, undecodable or of an unknown format."""


class TemplateError(WinbackGraderError):
    """A prompt folder or template is missing, cannot be parsed, or uses an undefined name."""


class GradingError(WinbackGraderError):
    """A criterion could not be graded: the model failed or its reply never fit the schema."""

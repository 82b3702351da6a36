"""The rubric format: Rubric ▶ Section ▶ Criterion ▶ Scale, and ``load_rubric``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._resources import resource_dir
from .errors import RubricError
from .indicators import Indicators

__all__ = [
    "Criterion",
    "FewShotExample",
    "Rubric",
    "Scale",
    "Section",
    "load_rubric",
    "shipped_rubric_names",
]

AutoFailPolicy = Literal["zero_total", "zero_section", "flag_only"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Strict):
    """The values a criterion can take: binary yes/no (1/0) or ordinal integers min..max."""

    kind: Literal["binary", "ordinal"] = "ordinal"
    """``"binary"`` for yes/no, ``"ordinal"`` for an integer range."""
    min: int = 0
    """The lowest score."""
    max: int = 1
    """The highest score."""

    @property
    def values(self) -> list[int]:
        """Every score the scale admits, lowest first."""
        return list(range(self.min, self.max + 1))

    def normalize(self, score: float) -> float:
        """Map a score on this scale to 0..1."""
        return (score - self.min) / (self.max - self.min)


class FewShotExample(_Strict):
    """A graded excerpt shown to the judge model as an example."""

    excerpt: str
    """A few turns of a call."""
    score: int | Literal["na"]
    """The score the excerpt deserves, or ``"na"``."""
    reasoning: str
    """Why the excerpt deserves that score."""


class Criterion(_Strict):
    """One thing graded, with a weight and a scale."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    """Unique id within the rubric, ``[a-z0-9_-]+``."""
    name: str
    """Short human-readable name."""
    description: str
    """What the criterion checks, in a sentence or two."""
    weight: float = Field(default=1.0, ge=0)
    """Relative weight within the section (or the rubric, when sections have no weight)."""
    scale: Scale
    """The values the criterion can take."""
    levels: dict[int, str] = Field(default_factory=dict)
    """A description of each scale value (binary: 1 = yes, 0 = no)."""
    evaluation_steps: list[str] = Field(default_factory=list)
    """Steps the grader follows, in order."""
    examples: list[FewShotExample] = Field(default_factory=list)
    """Few-shot examples shown to the judge model."""
    na_allowed: bool = False
    """Whether the criterion may be graded N/A."""
    na_when: str | None = None
    """When N/A applies, in words."""
    critical: bool = False
    """Whether failing this criterion auto-fails the call."""
    fail_below: float | None = None
    """With ``critical``: a score below this fails the call (binary criteria fail on "no")."""
    method: Literal["llm", "phrases"] = "llm"
    """``"phrases"`` always grades with the offline phrase engine."""
    indicators: Indicators | None = None
    """Phrase indicators for the offline engine."""

    @field_validator("scale", mode="before")
    @classmethod
    def _expand_binary_scale(cls, value: Any) -> Any:
        if value == "binary":
            return {"kind": "binary", "min": 0, "max": 1}
        return value

    @property
    def failure_threshold(self) -> float:
        """The score a critical criterion must reach to pass: ``fail_below``, binary 1, else min + 1."""
        if self.fail_below is not None:
            return self.fail_below
        if self.scale.kind == "binary":
            return 1
        return self.scale.min + 1


class Section(_Strict):
    """A named group of criteria."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    """Unique id within the rubric, ``[a-z0-9_-]+``."""
    name: str
    """Short human-readable name."""
    description: str | None = None
    """What the section covers."""
    weight: float | None = Field(default=None, ge=0)
    """Weight of the section in the total; when every section omits it, criterion weights apply."""
    criteria: list[Criterion] = Field(min_length=1)
    """The criteria of the section, in order."""


class Rubric(_Strict):
    """A versioned scorecard definition: sections of criteria."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    """Rubric id, ``[a-z0-9_-]+``."""
    version: str
    """Rubric version, a string such as ``"2026.12"``."""
    name: str = ""
    """Human-readable name."""
    description: str | None = None
    """What the rubric is for."""
    pass_threshold: float = Field(default=80, ge=0, le=100)
    """The total (0..100) a call needs to pass."""
    auto_fail: AutoFailPolicy = "zero_total"
    """What a failed critical criterion does to the total."""
    sections: list[Section] = Field(min_length=1)
    """The sections, in order."""

    @property
    def criteria(self) -> list[Criterion]:
        """Every criterion of every section, in rubric order."""
        return [criterion for section in self.sections for criterion in section.criteria]

    @property
    def uses_section_weights(self) -> bool:
        """Whether the total is weighted by section (True) or by criterion across the rubric."""
        return any(section.weight is not None for section in self.sections)

    def criterion(self, criterion_id: str) -> Criterion:
        """Return the criterion with this id."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)


def shipped_rubric_names() -> list[str]:
    """List the names of the rubrics that ship with the package."""
    folder = resource_dir("rubrics")
    return sorted(entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml"))


def load_rubric(source: str | os.PathLike[str]) -> Rubric:
    """Load a rubric from a YAML file path or by the name of a shipped rubric (``"winback"``).

    NOTE: minimal loader; located error messages come with the full validator.
    """
    text, origin = _read_source(source)
    data = yaml.safe_load(text)
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError(f"{origin}: invalid rubric: {exc}") from None


def _read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    path = Path(source)
    if isinstance(source, str) and path.suffix not in (".yaml", ".yml") and os.sep not in source:
        shipped = resource_dir("rubrics") / f"{source}.yaml"
        if shipped.is_file():
            return shipped.read_text(encoding="utf-8"), f"rubrics/{source}.yaml"
        names = ", ".join(shipped_rubric_names())
        raise RubricError(f"no shipped rubric is named {source!r}; choose one of: {names}, or pass a path")
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise RubricError(f"{path}: cannot read the rubric file: {exc.strerror}") from exc

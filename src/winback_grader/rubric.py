"""The rubric format: Rubric ▶ Section ▶ Criterion ▶ Scale, and ``load_rubric``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ._resources import resource_dir
from .errors import RubricError
from .indicators import Indicators
from .rubric_checks import (
    Problem,
    binary_level_key,
    criterion_problems,
    format_loc,
    rubric_problems,
)
from .rubric_messages import format_problems, problems_from_validation_error
from .rubric_yaml import parse_yaml, path_to

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

# Validation context key set by load_rubric, which runs the cross-field checks itself on the raw
# YAML data so that their problems are reported together with every field error.
_CHECKED_BY_LOADER = "winback_grader_checked_by_loader"

# The JSON Schema of the YAML forms of ``scale`` and ``levels``, which differ from the models.
_SCALE_SCHEMA: dict[str, Any] = {
    "description": '"binary" for yes/no (yes = 1, no = 0), or an integer range {min, max}.',
    "anyOf": [
        {"const": "binary"},
        {
            "type": "object",
            "properties": {
                "min": {"type": "integer", "default": 0, "description": "The lowest score."},
                "max": {"type": "integer", "default": 1, "description": "The highest score."},
            },
            "additionalProperties": False,
        },
    ],
}
_LEVELS_SCHEMA: dict[str, Any] = {
    "description": "A description of each scale value; a binary criterion may use the keys yes/no.",
    "type": "object",
    "propertyNames": {"pattern": "^(-?[0-9]+|[Yy][Ee][Ss]|YES|[Nn][Oo]|NO)$"},
    "additionalProperties": {"type": "string"},
}


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

    @model_validator(mode="after")
    def _check_range(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(
                f"min {self.min!r} is not below max {self.max!r}: a scale needs min < max, "
                "such as {min: 0, max: 4}"
            )
        return self


class FewShotExample(_Strict):
    """A graded excerpt shown to the judge model as an example."""

    excerpt: str
    """A few turns of a call."""
    score: int | Literal["na"]
    """The score the excerpt deserves, or ``"na"``."""
    reasoning: str
    """The reason the excerpt deserves that score."""


class Criterion(_Strict):
    """One thing graded, with a weight and a scale."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    """Unique id within the rubric, ``[a-z0-9_-]+``."""
    name: str
    """Short human-readable name."""
    description: str
    """The behaviour the criterion checks, in a sentence or two."""
    weight: float = Field(default=1.0, ge=0)
    """Relative weight within the section (or the rubric, when sections have no weight)."""
    scale: Annotated[Scale, WithJsonSchema(_SCALE_SCHEMA)]
    """The values the criterion can take."""
    levels: Annotated[dict[int, str], WithJsonSchema(_LEVELS_SCHEMA)] = Field(default_factory=dict)
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
        if isinstance(value, str):
            raise ValueError(
                f"{value!r} is not a scale: write 'binary' or a range such as {{min: 0, max: 4}}"
            )
        return value

    @field_validator("levels", mode="before")
    @classmethod
    def _map_binary_level_words(cls, value: Any, info: ValidationInfo) -> Any:
        # A binary criterion may key its levels yes/no, and the model stores them as 1/0.
        scale = info.data.get("scale")
        if not isinstance(value, dict) or not isinstance(scale, Scale) or scale.kind != "binary":
            return value
        mapped: dict[Any, Any] = {}
        for key, text in value.items():
            number = binary_level_key(key)
            mapped[key if number is None else number] = text
        return mapped

    @model_validator(mode="after")
    def _check_fields_together(self, info: ValidationInfo) -> Criterion:
        if not _checked_by_loader(info):
            _raise_problems(criterion_problems(self.model_dump()))
        return self

    @property
    def failure_threshold(self) -> float:
        """The score a critical criterion must reach: ``fail_below``, binary 1, else min + 1."""
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
    """The part of the call the section covers."""
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
    """The purpose of the rubric."""
    pass_threshold: float = Field(default=80, ge=0, le=100)
    """The total (0..100) a call needs to pass."""
    auto_fail: AutoFailPolicy = "zero_total"
    """The effect of a failed critical criterion on the total."""
    sections: list[Section] = Field(min_length=1)
    """The sections, in order."""

    @model_validator(mode="after")
    def _check_fields_together(self, info: ValidationInfo) -> Rubric:
        if not _checked_by_loader(info):
            _raise_problems(rubric_problems(self.model_dump()))
        return self

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
    return sorted(
        entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def rubric_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of the rubric file format, for editors that validate YAML."""
    schema = Rubric.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "winback_grader rubric"

    # Indicator levels accept a short YAML form that the model expands before validation:
    # yes/no keys on binary criteria, and a bare list of signal ids meaning {all: [...]}.
    indicator_levels = schema.get("$defs", {}).get("Indicators", {}).get("properties", {})
    if "levels" in indicator_levels and "LevelRule" in schema["$defs"]:
        indicator_levels["levels"] = {
            "description": indicator_levels["levels"].get("description", ""),
            "type": "object",
            "propertyNames": _LEVELS_SCHEMA["propertyNames"],
            "additionalProperties": {
                "anyOf": [
                    {"$ref": "#/$defs/LevelRule"},
                    {"type": "array", "items": {"type": "string"}},
                ]
            },
        }
    return schema


def load_rubric(source: str | os.PathLike[str]) -> Rubric:
    """Load a rubric from a YAML file path or by the name of a shipped rubric (``"winback"``).

    Raises ``RubricError`` listing every problem found, each with the file, line, location and
    bad value, when the file is missing or not a valid rubric.
    """
    text, origin = _read_source(source)

    # Parse the YAML, keeping lines and noting repeated keys instead of keeping the last.
    try:
        data, duplicate_keys = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "the file"
        problem = f"{origin}: {where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"
        raise RubricError(f"{origin}: invalid rubric\n  {problem}", [problem]) from None
    if data is None:
        problem = f"{origin}: the file is empty: a rubric needs id, version and sections"
        raise RubricError(problem, [problem])
    if not isinstance(data, dict):
        kind = "list" if isinstance(data, list) else type(data).__name__
        problem = (
            f"{origin}: the top level is a {kind}, but a rubric must be a mapping "
            "with id, version and sections"
        )
        raise RubricError(problem, [problem])

    # Collect every problem: repeated keys, field errors and the cross-field checks.
    problems: list[Problem] = []
    for duplicate in duplicate_keys:
        loc = (*(path_to(data, duplicate.mapping) or ()), duplicate.key)
        message = (
            f"key {duplicate.key!r} appears twice in one mapping, on lines {duplicate.first_line} "
            f"and {duplicate.second_line}: keep one of them"
        )
        problems.append(Problem(loc, message, line=duplicate.second_line))
    try:
        rubric = Rubric.model_validate(data, context={_CHECKED_BY_LOADER: True})
    except ValidationError as exc:
        rubric = None
        problems.extend(problems_from_validation_error(exc, Rubric))
    problems.extend(rubric_problems(data))

    if problems or rubric is None:
        lines = format_problems(problems, data, origin)
        summary = f"{origin}: invalid rubric, {len(lines)} problem(s):\n" + "\n".join(
            f"  {line}" for line in lines
        )
        raise RubricError(summary, lines)
    return rubric


def _checked_by_loader(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get(_CHECKED_BY_LOADER))


def _raise_problems(problems: list[Problem]) -> None:
    # Outside load_rubric there is no file or line to report, so the location leads the message.
    if problems:
        raise ValueError(
            "; ".join(f"{format_loc(problem.loc)}: {problem.message}" for problem in problems)
        )


def _read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    path = Path(source)
    looks_like_name = (
        isinstance(source, str)
        and path.suffix not in (".yaml", ".yml")
        and "/" not in source
        and os.sep not in source
    )
    if looks_like_name:
        shipped = resource_dir("rubrics") / f"{source}.yaml"
        if shipped.is_file():
            return shipped.read_text(encoding="utf-8"), f"rubrics/{source}.yaml"
        if path.is_file():
            # A file in the working folder without a .yaml suffix, such as "my_rubric".
            return _read_file(path)
        names = ", ".join(shipped_rubric_names())
        raise RubricError(
            f"no shipped rubric is named {source!r}: choose one of {names}, or pass the path of a "
            "YAML file"
        )
    if not path.exists():
        raise RubricError(f"rubric file not found: {path} (check the path)")
    return _read_file(path)


def _read_file(path: Path) -> tuple[str, str]:
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise RubricError(f"{path}: cannot read the rubric file: {reason}") from exc

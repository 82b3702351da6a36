"""Turn pydantic validation errors on a rubric into messages a rubric author can act on.

Each message names the file, the line, the location inside the file, the bad value and what is
allowed, such as ``rubric.yaml: line 12: sections[1].criteria[2].weight: weight -3 is negative:
weights must be 0 or more``.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .rubric_checks import Loc, Problem, format_loc
from .rubric_yaml import line_of

__all__ = ["format_problems", "problems_from_validation_error"]

_MAX_VALUE_REPR = 60


def problems_from_validation_error(error: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Describe each error of ``error`` (raised by ``root.model_validate``) as a Problem."""
    problems = []
    for detail in error.errors():
        loc: Loc = tuple(detail["loc"])
        if loc and loc[-1] == "[key]":
            # pydantic marks an invalid dict key as (..., key, "[key]").
            problems.append(Problem(loc[:-1], _describe_key_error(detail, loc[-2])))
        else:
            problems.append(Problem(loc, _describe(detail, loc, root)))
    return problems


def format_problems(problems: list[Problem], data: Any, origin: str) -> list[str]:
    """Write each problem as ``FILE: line N: PATH: MESSAGE``, ordered by line."""
    located = []
    for problem in problems:
        line = problem.line if problem.line is not None else line_of(data, problem.loc)
        where = f"line {line}: " if line is not None else ""
        located.append(
            (line or 0, f"{origin}: {where}{format_loc(problem.loc)}: {problem.message}")
        )
    located.sort(key=lambda item: item[0])
    return [text for _, text in located]


def _describe(detail: ErrorDetails, loc: Loc, root: type[BaseModel]) -> str:
    kind = detail["type"]
    value = detail.get("input")
    context = detail.get("ctx") or {}
    field = next((str(part) for part in reversed(loc) if isinstance(part, str)), "value")

    if kind == "missing":
        return f"required key {field!r} is missing"
    if kind == "extra_forbidden":
        return _describe_unknown_key(field, _model_at(root, loc[:-1]))
    if field == "pass_threshold" and kind in ("greater_than_equal", "less_than_equal"):
        return (
            f"pass_threshold {_show(value)} is outside 0..100: it is compared with the total "
            "score, a percentage"
        )
    if field == "weight" and kind == "greater_than_equal":
        return f"weight {_show(value)} is negative: weights must be 0 or more"
    if kind == "greater_than_equal":
        return f"{field} {_show(value)} is below the minimum {context.get('ge')!r}"
    if kind == "less_than_equal":
        return f"{field} {_show(value)} is above the maximum {context.get('le')!r}"
    if kind == "string_pattern_mismatch":
        return (
            f"{field} {_show(value)} is not a valid id: use lowercase letters, digits, '_' and '-'"
        )
    if kind == "literal_error":
        return f"{field} {_show(value)} is not allowed: use one of {context.get('expected')}"
    if kind == "too_short":
        return f"{field} is empty: add at least one item"
    if kind == "string_type":
        return f'{field} {_show(value)} is not text: put it in quotes, such as "{value}"'
    if kind in ("value_error", "assertion_error") and "error" in context:
        return str(context["error"])
    return f"{field} {_show(value)} is invalid: {detail['msg']}"


def _describe_key_error(detail: ErrorDetails, key: Any) -> str:
    if detail["type"] in ("int_parsing", "int_type", "int_from_float"):
        return (
            f"level key {_show(key)} is not a whole number: key levels by scale value, "
            "or by yes/no on a binary scale"
        )
    return f"key {_show(key)} is invalid: {detail['msg']}"


def _describe_unknown_key(key: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return f"unknown key {key!r}"
    allowed = list(model.model_fields)
    message = f"unknown key {key!r}"
    matches = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if matches:
        message += f" (did you mean {matches[0]!r}?)"
    return f"{message}: allowed keys are {', '.join(allowed)}"


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Return the model class that validates the mapping at ``loc``, following field types."""
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue  # a list index keeps the item model found from the list's field
        if model is None or part not in model.model_fields:
            return None
        model = _model_in(model.model_fields[part].annotation)
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """Return the first BaseModel class inside a type such as ``list[Section] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None


def _show(value: Any) -> str:
    text = repr(dict(value) if isinstance(value, dict) else value)
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 3] + "..."
    return text

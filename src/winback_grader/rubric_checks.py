"""Rubric checks that span several fields: ids, weights, scales, levels, fail_below, indicators.

The checks read plain data (the dicts and lists of a YAML file, or a model's ``model_dump()``)
and skip any value of the wrong type, because field validation reports that value already.
Working on plain data lets ``load_rubric`` report these problems together with the field errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Problem",
    "binary_level_key",
    "criterion_problems",
    "format_loc",
    "rubric_problems",
    "scale_bounds",
]

Loc = tuple[str | int, ...]

# Level keys a binary criterion may use in place of 1 and 0.
_BINARY_LEVEL_WORDS = {"yes": 1, "no": 0}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric, at a location inside it."""

    loc: Loc
    """Keys and list indexes from the top of the rubric, such as ``("sections", 1, "weight")``."""
    message: str
    """Description of the problem, with the bad value and what is allowed."""
    line: int | None = None
    """The line to report, when it is not the line of ``loc`` (a repeated key's second line)."""


def binary_level_key(key: Any) -> int | None:
    """Return 1 for a ``yes`` level key and 0 for ``no`` (any case), else None."""
    if isinstance(key, str):
        return _BINARY_LEVEL_WORDS.get(key.strip().lower())
    return None


def scale_bounds(scale: Any) -> tuple[int, int, bool] | None:
    """Return (min, max, is_binary) of a scale as written in YAML or dumped, or None if invalid."""
    if scale == "binary":
        return 0, 1, True
    if not isinstance(scale, Mapping):
        return None
    low, high = scale.get("min", 0), scale.get("max", 1)
    if not _is_int(low) or not _is_int(high) or low >= high:
        return None
    return low, high, scale.get("kind") == "binary"


def rubric_problems(data: Any) -> list[Problem]:
    """Check a whole rubric: unique ids, weights that are not all zero, and every criterion."""
    if not isinstance(data, Mapping):
        return []
    sections = data.get("sections")
    if not isinstance(sections, list):
        return []
    section_list = [section for section in sections if isinstance(section, Mapping)]

    problems = _duplicate_ids(
        [
            (("sections", index, "id"), section.get("id"))
            for index, section in enumerate(sections)
            if isinstance(section, Mapping)
        ],
        "section",
    )
    criterion_ids: list[tuple[Loc, Any]] = []
    for section_index, section in enumerate(sections):
        if not isinstance(section, Mapping) or not isinstance(section.get("criteria"), list):
            continue
        for criterion_index, criterion in enumerate(section["criteria"]):
            if not isinstance(criterion, Mapping):
                continue
            loc: Loc = ("sections", section_index, "criteria", criterion_index)
            criterion_ids.append(((*loc, "id"), criterion.get("id")))
            problems.extend(criterion_problems(criterion, loc))
    problems.extend(_duplicate_ids(criterion_ids, "criterion"))
    problems.extend(_zero_weight_problems(section_list))
    return problems


def criterion_problems(criterion: Mapping[str, Any], loc: Loc = ()) -> list[Problem]:
    """Check a criterion's levels, indicators and fail_below against its scale and flags."""
    problems: list[Problem] = []
    bounds = scale_bounds(criterion.get("scale"))
    levels = criterion.get("levels")
    if bounds is not None and isinstance(levels, Mapping):
        problems.extend(_level_problems(levels, bounds, (*loc, "levels")))

    indicators = criterion.get("indicators")
    if isinstance(indicators, Mapping):
        problems.extend(_indicator_problems(criterion, indicators, bounds, (*loc, "indicators")))

    fail_below = criterion.get("fail_below")
    if fail_below is None:
        return problems
    if criterion.get("critical") is not True:
        problems.append(
            Problem(
                (*loc, "fail_below"),
                f"fail_below {fail_below!r} is set but the criterion is not critical: "
                "add 'critical: true' or remove fail_below",
            )
        )
    if bounds is not None and _is_number(fail_below):
        low, high, _ = bounds
        if not low < fail_below <= high:
            problems.append(
                Problem(
                    (*loc, "fail_below"),
                    f"fail_below {fail_below!r} is outside the scale {low}..{high}: "
                    f"it must be above {low} (else no score could fail) and at most {high}",
                )
            )
    return problems


def _indicator_problems(
    criterion: Mapping[str, Any],
    indicators: Mapping[str, Any],
    bounds: tuple[int, int, bool] | None,
    loc: Loc,
) -> list[Problem]:
    """Check the scores the phrase indicators give against the scale, N/A rules and patterns."""
    problems: list[Problem] = []
    if bounds is not None:
        low, high, is_binary = bounds
        scores: list[tuple[Loc, Any]] = []
        levels = indicators.get("levels")
        if isinstance(levels, Mapping):
            for key in levels:
                word_value = binary_level_key(key) if is_binary else None
                scores.append(((*loc, "levels", key), key if word_value is None else word_value))
        scores.append(((*loc, "otherwise"), indicators.get("otherwise")))
        negatives = indicators.get("negative")
        if isinstance(negatives, list):
            for index, negative in enumerate(negatives):
                if isinstance(negative, Mapping):
                    scores.append(((*loc, "negative", index, "cap"), negative.get("cap")))
        for score_loc, score in scores:
            if _is_int(score) and not low <= score <= high:
                problems.append(
                    Problem(
                        score_loc,
                        f"indicator score {score!r} is outside the scale {low}..{high}: "
                        f"use a whole number from {low} to {high}",
                    )
                )

    if indicators.get("na_unless") and criterion.get("na_allowed") is not True:
        problems.append(
            Problem(
                (*loc, "na_unless"),
                "na_unless is set but the criterion does not allow N/A: "
                "add 'na_allowed: true' to the criterion or remove na_unless",
            )
        )

    signals = indicators.get("signals")
    if isinstance(signals, list):
        for index, signal in enumerate(signals):
            patterns = signal.get("patterns") if isinstance(signal, Mapping) else None
            if not isinstance(patterns, list):
                continue
            for pattern_index, pattern in enumerate(patterns):
                if not isinstance(pattern, str):
                    continue
                try:
                    re.compile(pattern)
                except re.error as exc:
                    problems.append(
                        Problem(
                            (*loc, "signals", index, "patterns", pattern_index),
                            f"pattern {pattern!r} is not a valid regular expression ({exc}); "
                            "fix the pattern or write it as a phrase",
                        )
                    )
    return problems


def _level_problems(
    levels: Mapping[Any, Any], bounds: tuple[int, int, bool], loc: Loc
) -> list[Problem]:
    low, high, is_binary = bounds
    problems: list[Problem] = []
    seen: dict[int, Any] = {}
    for key in levels:
        word_value = binary_level_key(key)
        if word_value is not None and is_binary:
            value = word_value
        elif _is_int(key):
            value = key
        else:
            # Field validation reports keys that are neither numbers nor yes/no.
            continue
        if not low <= value <= high:
            problems.append(
                Problem(
                    (*loc, key),
                    f"level {key!r} is outside the scale {low}..{high}: "
                    f"use a whole number from {low} to {high}"
                    + (" or yes/no" if is_binary else ""),
                )
            )
        elif value in seen:
            problems.append(
                Problem(
                    (*loc, key),
                    f"level {key!r} describes the same score as level {seen[value]!r}: "
                    "keep one of them",
                )
            )
        else:
            seen[value] = key
    return problems


def _duplicate_ids(entries: list[tuple[Loc, Any]], kind: str) -> list[Problem]:
    problems: list[Problem] = []
    first_seen: dict[str, Loc] = {}
    for loc, identifier in entries:
        if not isinstance(identifier, str):
            continue
        if identifier in first_seen:
            problems.append(
                Problem(
                    loc,
                    f"{kind} id {identifier!r} is already used at "
                    f"{format_loc(first_seen[identifier])}: "
                    f"each {kind} needs its own id",
                )
            )
        else:
            first_seen[identifier] = loc
    return problems


def _zero_weight_problems(section_list: list[Mapping[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    criterion_weights = [
        _weight(criterion)
        for section in section_list
        if isinstance(section.get("criteria"), list)
        for criterion in section["criteria"]
        if isinstance(criterion, Mapping)
    ]
    if criterion_weights and all(weight == 0 for weight in criterion_weights):
        problems.append(
            Problem(
                ("sections",),
                "every criterion weight is 0, so no score could count: give at least one criterion "
                "a weight above 0",
            )
        )

    section_weights = [section.get("weight") for section in section_list]
    numeric_weights = [weight for weight in section_weights if _is_number(weight)]
    if numeric_weights and all(weight == 0 for weight in numeric_weights):
        problems.append(
            Problem(
                ("sections",),
                "every section weight is 0, so no section could count: give at least one section "
                "a weight above 0, or remove every section weight to weight the criteria "
                "across the rubric",
            )
        )
    return problems


def _weight(criterion: Mapping[str, Any]) -> float | None:
    # A criterion without a weight counts 1, the model's default.
    weight = criterion.get("weight", 1.0)
    return weight if _is_number(weight) else None


def format_loc(loc: Loc) -> str:
    """Write a location as a reader finds it: ``sections[1].criteria[2].weight``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text or "(top level)"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

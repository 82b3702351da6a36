"""Phrase indicators that could never grade are rejected when the rubric loads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from winback_grader import RubricError, load_rubric

RUBRIC = """\
id: demo
version: "1"
sections:
  - id: talk
    name: Talk
    criteria:
      - id: objection
        name: Objection handling
        description: Answers the customer's objection.
        scale: {{min: 0, max: 4}}
        na_allowed: {na_allowed}
        indicators:
          signals:
            - id: objects
              role: customer
              phrases: [too expensive]
            - id: answers
              phrases: [i understand]
              patterns: ['{pattern}']
          levels:
            {level}: [answers]
          otherwise: {otherwise}
          negative: [{{signal: objects, cap: {cap}}}]
          na_unless: [objects]
"""


def write_rubric(tmp_path: Path, **overrides: object) -> Path:
    values: dict[str, object] = {
        "na_allowed": "true",
        "pattern": r"\\bsorry\\b",
        "level": 4,
        "otherwise": 0,
        "cap": 2,
    }
    values.update(overrides)
    path = tmp_path / "rubric.yaml"
    path.write_text(textwrap.dedent(RUBRIC.format(**values)), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    return [problem.removeprefix(f"{path}: ") for problem in caught.value.problems]


def test_valid_indicators_load(tmp_path: Path) -> None:
    rubric = load_rubric(write_rubric(tmp_path))

    indicators = rubric.criteria[0].indicators
    assert indicators is not None
    assert [signal.id for signal in indicators.signals] == ["objects", "answers"]


def test_indicator_level_outside_scale(tmp_path: Path) -> None:
    problems = problems_of(write_rubric(tmp_path, level=7))

    assert problems == [
        "line 21: sections[0].criteria[0].indicators.levels[7]: indicator score 7 is outside "
        "the scale 0..4: use a whole number from 0 to 4"
    ]


def test_otherwise_and_cap_outside_scale(tmp_path: Path) -> None:
    problems = problems_of(write_rubric(tmp_path, otherwise=-1, cap=9))

    assert len(problems) == 2
    assert "indicators.otherwise: indicator score -1 is outside the scale 0..4" in problems[0]
    assert "indicators.negative[0].cap: indicator score 9 is outside the scale 0..4" in problems[1]


def test_na_unless_needs_na_allowed(tmp_path: Path) -> None:
    problems = problems_of(write_rubric(tmp_path, na_allowed="false"))

    assert problems == [
        "line 24: sections[0].criteria[0].indicators.na_unless: na_unless is set but the "
        "criterion does not allow N/A: add 'na_allowed: true' to the criterion or remove "
        "na_unless"
    ]


def test_invalid_pattern_is_named(tmp_path: Path) -> None:
    problems = problems_of(write_rubric(tmp_path, pattern="(unclosed"))

    assert len(problems) == 1
    assert problems[0].startswith(
        "line 19: sections[0].criteria[0].indicators.signals[1].patterns[0]: "
        "pattern '(unclosed' is not a valid regular expression"
    )
    assert problems[0].endswith("fix the pattern or write it as a phrase")


def test_validate_command_lists_indicator_problems(tmp_path: Path) -> None:
    path = write_rubric(tmp_path, level=7, na_allowed="false")

    completed = subprocess.run(
        [sys.executable, "-m", "winback_grader", "rubric", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 2
    assert "indicators.levels[7]: indicator score 7 is outside the scale 0..4" in completed.stderr
    assert "indicators.na_unless: na_unless is set" in completed.stderr

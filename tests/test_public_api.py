"""The public names of ``winback_grader``: what users import, pinned so a change is deliberate."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import winback_grader

# Update this list, and CHANGELOG.md, when the public API gains or loses a name.
EXPECTED_ALL = [
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

# The names the public API contract promises, with the kind of object each one is.
CONTRACT_FUNCTIONS = [
    "load_rubric",
    "load_transcript",
    "grade",
    "agrade",
    "grade_many",
    "agrade_many",
]
CONTRACT_ASYNC = ["agrade", "agrade_many"]
CONTRACT_MODELS = [
    "Turn",
    "Transcript",
    "Rubric",
    "Section",
    "Criterion",
    "Evidence",
    "CriterionGrade",
    "SectionScore",
    "Scorecard",
    "Usage",
]
CONTRACT_ERRORS = ["WinbackGraderError", "RubricError", "TranscriptError", "GradingError"]


def test_all_is_pinned() -> None:
    assert winback_grader.__all__ == EXPECTED_ALL


def test_all_names_exist() -> None:
    for name in winback_grader.__all__:
        assert hasattr(winback_grader, name), name


@pytest.mark.parametrize("name", CONTRACT_FUNCTIONS)
def test_contract_function_importable(name: str) -> None:
    assert name in winback_grader.__all__
    assert callable(getattr(winback_grader, name))


@pytest.mark.parametrize("name", CONTRACT_ASYNC)
def test_contract_async_function(name: str) -> None:
    assert inspect.iscoroutinefunction(getattr(winback_grader, name))


@pytest.mark.parametrize("name", CONTRACT_MODELS)
def test_contract_model_importable(name: str) -> None:
    from pydantic import BaseModel

    assert name in winback_grader.__all__
    assert issubclass(getattr(winback_grader, name), BaseModel)


@pytest.mark.parametrize("name", CONTRACT_ERRORS)
def test_contract_error_in_tree(name: str) -> None:
    error = getattr(winback_grader, name)

    assert name in winback_grader.__all__
    assert issubclass(error, winback_grader.WinbackGraderError)


def test_rubric_attribute_names_are_yaml_keys() -> None:
    fields = winback_grader.Criterion.model_fields
    for key in ("weight", "critical", "na_allowed", "scale", "fail_below", "levels", "method"):
        assert key in fields, key
    assert {"id", "version", "pass_threshold", "auto_fail", "sections"} <= set(
        winback_grader.Rubric.model_fields
    )


def test_import_skips_litellm_and_instructor() -> None:
    code = (
        "import sys, winback_grader; "
        "print(sorted(m for m in ('litellm', 'instructor') if m in sys.modules))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[]"

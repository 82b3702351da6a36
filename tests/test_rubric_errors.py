"""Each way a rubric file can be invalid, and the exact message its author reads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from winback_grader import Criterion, RubricError, Scale, load_rubric

# A valid rubric; each test replaces one part of it.
VALID = """\
id: demo
version: "1"
pass_threshold: 70
sections:
  - id: talk
    name: Talk
    weight: 2
    criteria:
      - id: greeting
        name: Greeting
        description: Greets the customer.
        weight: 1
        scale: {min: 0, max: 4}
      - id: honest
        name: Honest
        description: No misleading claims.
        weight: 1
        scale: binary
        critical: true
"""


def write_rubric(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = write_rubric(tmp_path, text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    prefix = f"{path}: "
    for problem in caught.value.problems:
        assert problem.startswith(prefix), problem
    return [problem[len(prefix) :] for problem in caught.value.problems]


def test_valid_rubric_loads(tmp_path: Path) -> None:
    rubric = load_rubric(write_rubric(tmp_path, VALID))

    assert rubric.id == "demo"
    assert [criterion.id for criterion in rubric.criteria] == ["greeting", "honest"]


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    text = VALID.replace(
        "        weight: 1\n        scale: {min",
        "        weight: 1\n        weight: 3\n        scale: {min",
    )

    assert problems_of(tmp_path, text) == [
        "line 13: sections[0].criteria[0].weight: key 'weight' appears twice in one mapping, "
        "on lines 12 and 13: keep one of them"
    ]


def test_duplicate_criterion_id(tmp_path: Path) -> None:
    text = VALID.replace("id: honest", "id: greeting")

    assert problems_of(tmp_path, text) == [
        "line 14: sections[0].criteria[1].id: criterion id 'greeting' is already used at "
        "sections[0].criteria[0].id: each criterion needs its own id"
    ]


def test_duplicate_section_id(tmp_path: Path) -> None:
    text = VALID + textwrap.indent(
        textwrap.dedent("""\
        - id: talk
          name: Talk again
          criteria:
            - {id: other, name: Other, description: d, scale: binary}
        """),
        "  ",
    )

    assert problems_of(tmp_path, text) == [
        "line 20: sections[1].id: section id 'talk' is already used at sections[0].id: "
        "each section needs its own id"
    ]


def test_negative_weight(tmp_path: Path) -> None:
    text = VALID.replace(
        "        weight: 1\n        scale: {min", "        weight: -3\n        scale: {min"
    )

    assert problems_of(tmp_path, text) == [
        "line 12: sections[0].criteria[0].weight: weight -3 is negative: weights must be 0 or more"
    ]


def test_all_criterion_weights_zero(tmp_path: Path) -> None:
    text = VALID.replace("weight: 1", "weight: 0")

    assert problems_of(tmp_path, text) == [
        "line 4: sections: every criterion weight is 0, so no score could count: "
        "give at least one criterion a weight above 0"
    ]


def test_all_section_weights_zero(tmp_path: Path) -> None:
    text = VALID.replace("weight: 2", "weight: 0")

    assert problems_of(tmp_path, text) == [
        "line 4: sections: every section weight is 0, so no section could count: give at least "
        "one section a weight above 0, or remove every section weight to weight the criteria "
        "across the rubric"
    ]


def test_fractional_weights_are_valid(tmp_path: Path) -> None:
    text = VALID.replace("weight: 2", "weight: 0.7").replace("weight: 1", "weight: 0.1")

    rubric = load_rubric(write_rubric(tmp_path, text))

    assert [criterion.weight for criterion in rubric.criteria] == [0.1, 0.1]
    assert rubric.sections[0].weight == 0.7


def test_scale_min_not_below_max(tmp_path: Path) -> None:
    text = VALID.replace("{min: 0, max: 4}", "{min: 4, max: 4}")

    assert problems_of(tmp_path, text) == [
        "line 13: sections[0].criteria[0].scale: min 4 is not below max 4: "
        "a scale needs min < max, such as {min: 0, max: 4}"
    ]


def test_unknown_scale_word(tmp_path: Path) -> None:
    text = VALID.replace("scale: binary", "scale: binry")

    assert problems_of(tmp_path, text) == [
        "line 18: sections[0].criteria[1].scale: 'binry' is not a scale: "
        "write 'binary' or a range such as {min: 0, max: 4}"
    ]


def test_level_outside_scale(tmp_path: Path) -> None:
    text = VALID.replace(
        "{min: 0, max: 4}", "{min: 0, max: 4}\n        levels: {0: None, 5: Too high}"
    )

    assert problems_of(tmp_path, text) == [
        "line 14: sections[0].criteria[0].levels[5]: level 5 is outside the scale 0..4: "
        "use a whole number from 0 to 4"
    ]


def test_level_word_on_ordinal_scale(tmp_path: Path) -> None:
    text = VALID.replace("{min: 0, max: 4}", "{min: 0, max: 4}\n        levels: {yes: Greets}")

    assert problems_of(tmp_path, text) == [
        "line 14: sections[0].criteria[0].levels.yes: level key 'yes' is not a whole number: "
        "key levels by scale value, or by yes/no on a binary scale"
    ]


def test_binary_level_given_twice(tmp_path: Path) -> None:
    text = VALID.replace(
        "scale: binary", "scale: binary\n        levels: {yes: Honest, 1: Also honest}"
    )

    assert problems_of(tmp_path, text) == [
        "line 19: sections[0].criteria[1].levels[1]: level 1 describes the same score as "
        "level 'yes': keep one of them"
    ]


def test_fail_below_outside_scale(tmp_path: Path) -> None:
    text = VALID.replace(
        "{min: 0, max: 4}", "{min: 0, max: 4}\n        critical: true\n        fail_below: 5"
    )

    assert problems_of(tmp_path, text) == [
        "line 15: sections[0].criteria[0].fail_below: fail_below 5 is outside the scale 0..4: "
        "it must be above 0 (else no score could fail) and at most 4"
    ]


def test_fail_below_without_critical(tmp_path: Path) -> None:
    text = VALID.replace("{min: 0, max: 4}", "{min: 0, max: 4}\n        fail_below: 2")

    assert problems_of(tmp_path, text) == [
        "line 14: sections[0].criteria[0].fail_below: fail_below 2 is set but the criterion "
        "is not critical: add 'critical: true' or remove fail_below"
    ]


@pytest.mark.parametrize("threshold", ["-1", "100.5"])
def test_pass_threshold_outside_range(tmp_path: Path, threshold: str) -> None:
    text = VALID.replace("pass_threshold: 70", f"pass_threshold: {threshold}")

    assert problems_of(tmp_path, text) == [
        f"line 3: pass_threshold: pass_threshold {threshold} is outside 0..100: "
        "it is compared with the total score, a percentage"
    ]


def test_unknown_key_suggests_match(tmp_path: Path) -> None:
    text = VALID.replace(
        "        weight: 1\n        scale: {min", "        wieght: 1\n        scale: {min"
    )

    assert problems_of(tmp_path, text) == [
        "line 12: sections[0].criteria[0].wieght: unknown key 'wieght' (did you mean 'weight'?): "
        "allowed keys are id, name, description, weight, scale, levels, evaluation_steps, "
        "examples, na_allowed, na_when, critical, fail_below, method, indicators"
    ]


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = VALID.replace("pass_threshold: 70", "pass_treshold: 70")

    [problem] = problems_of(tmp_path, text)

    assert problem.startswith(
        "line 3: pass_treshold: unknown key 'pass_treshold' (did you mean 'pass_threshold'?)"
    )


def test_missing_required_key(tmp_path: Path) -> None:
    text = VALID.replace("        description: Greets the customer.\n", "")

    assert problems_of(tmp_path, text) == [
        "line 9: sections[0].criteria[0].description: required key 'description' is missing"
    ]


def test_unquoted_version_number(tmp_path: Path) -> None:
    text = VALID.replace('version: "1"', "version: 2026.12")

    assert problems_of(tmp_path, text) == [
        'line 2: version: version 2026.12 is not text: put it in quotes, such as "2026.12"'
    ]


def test_unknown_auto_fail_policy(tmp_path: Path) -> None:
    text = VALID.replace("pass_threshold: 70", "pass_threshold: 70\nauto_fail: zero_all")

    assert problems_of(tmp_path, text) == [
        "line 4: auto_fail: auto_fail 'zero_all' is not allowed: "
        "use one of 'zero_total', 'zero_section' or 'flag_only'"
    ]


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = (
        VALID.replace("pass_threshold: 70", "pass_threshold: 170")
        .replace("id: honest", "id: greeting")
        .replace("{min: 0, max: 4}", "{min: 3, max: 1}")
    )

    problems = problems_of(tmp_path, text)

    assert len(problems) == 3
    assert problems[0].startswith("line 3: pass_threshold:")
    assert problems[1].startswith("line 13: sections[0].criteria[0].scale:")
    assert problems[2].startswith("line 14: sections[0].criteria[1].id:")


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    text = VALID.replace("name: Talk", "name: [Talk")

    [problem] = problems_of(tmp_path, text)

    assert problem.startswith("line ")
    assert "invalid YAML" in problem


def test_empty_file(tmp_path: Path) -> None:
    path = write_rubric(tmp_path, "")

    with pytest.raises(RubricError) as caught:
        load_rubric(path)

    assert str(caught.value) == (
        f"{path}: the file is empty: a rubric needs id, version and sections"
    )


def test_top_level_list(tmp_path: Path) -> None:
    path = write_rubric(tmp_path, "- id: demo\n")

    with pytest.raises(RubricError) as caught:
        load_rubric(path)

    assert str(caught.value) == (
        f"{path}: the top level is a list, but a rubric must be a mapping with id, "
        "version and sections"
    )


def test_missing_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(RubricError) as caught:
        load_rubric(path)

    assert str(caught.value) == f"rubric file not found: {path} (check the path)"


def test_unknown_shipped_name_lists_names() -> None:
    with pytest.raises(RubricError) as caught:
        load_rubric("no-such-rubric")

    message = str(caught.value)
    assert message.startswith("no shipped rubric is named 'no-such-rubric': choose one of ")
    assert "winback" in message
    assert message.endswith(", or pass the path of a YAML file")


def test_models_check_fields_together() -> None:
    with pytest.raises(ValueError) as caught:
        Criterion(id="x", name="X", description="d", scale="binary", fail_below=1)

    assert "fail_below 1.0 is set but the criterion is not critical" in str(caught.value)


def test_scale_model_rejects_empty_range() -> None:
    with pytest.raises(ValueError) as caught:
        Scale(min=2, max=1)

    assert "min 2 is not below max 1" in str(caught.value)

"""``winback-grader rubric validate|show|schema``, run as a subprocess the way users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema

from winback_grader.rubric_yaml import parse_yaml

# The console script pip installed beside the interpreter running the tests.
CLI = Path(sys.executable).parent / "winback-grader"

VALID = """\
id: demo
version: "1"
sections:
  - id: talk
    name: Talk
    criteria:
      - {id: greeting, name: Greeting, description: d, weight: 3, scale: {min: 0, max: 4}}
      - {id: honest, name: Honest, description: d, weight: 1, scale: binary, critical: true}
  - id: close
    name: Close
    criteria:
      - {id: ask, name: Ask, description: d, weight: 4, scale: {min: 1, max: 5}, na_allowed: true}
"""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # A wide terminal keeps rich from wrapping table cells, so the test can find whole rows.
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [str(CLI), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


def write_rubric(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_validate_valid_file(tmp_path: Path) -> None:
    path = write_rubric(tmp_path, VALID)

    result = run_cli("rubric", "validate", str(path))

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{path}: OK, rubric 'demo' version '1'\n"


def test_validate_prints_every_problem(tmp_path: Path) -> None:
    text = (
        VALID.replace("weight: 3", "weight: -3")
        .replace("id: honest", "id: greeting")
        .replace("{min: 1, max: 5}", "{min: 5, max: 1}")
    )
    path = write_rubric(tmp_path, text)

    result = run_cli("rubric", "validate", str(path))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}: line 7: sections[0].criteria[0].weight: weight -3 is negative: "
        "weights must be 0 or more",
        f"{path}: line 8: sections[0].criteria[1].id: criterion id 'greeting' is already used "
        "at sections[0].criteria[0].id: each criterion needs its own id",
        f"{path}: line 12: sections[1].criteria[0].scale: min 5 is not below max 1: "
        "a scale needs min < max, such as {min: 0, max: 4}",
    ]


def test_validate_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    result = run_cli("rubric", "validate", str(path))

    assert result.returncode == 2
    assert result.stderr == f"rubric file not found: {path} (check the path)\n"


def test_show_criterion_weights_across_rubric(tmp_path: Path) -> None:
    path = write_rubric(tmp_path, VALID)

    result = run_cli("rubric", "show", str(path))

    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    # No section weights: each criterion's share of all criterion weights (3 + 1 + 4).
    assert "37.5" in rows["Greeting (greeting)"]
    assert "12.5" in rows["Honest (honest)"]
    assert "fails on no" in rows["Honest (honest)"]
    assert "50.0" in rows["Ask (ask)"]
    assert "1-5" in rows["Ask (ask)"]
    assert "yes" in rows["Ask (ask)"].split("│")[-2]


def test_show_section_weights(tmp_path: Path) -> None:
    text = VALID.replace("name: Talk\n", "name: Talk\n    weight: 1\n").replace(
        "name: Close\n", "name: Close\n    weight: 3\n"
    )
    path = write_rubric(tmp_path, text)

    result = run_cli("rubric", "show", str(path))

    assert result.returncode == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    # Section share x criterion share within the section: 1/4 x 3/4, 1/4 x 1/4, 3/4 x 1.
    assert "18.8" in rows["Greeting (greeting)"]
    assert "6.2" in rows["Honest (honest)"]
    assert "75.0" in rows["Ask (ask)"]


def test_show_shipped_rubric() -> None:
    result = run_cli("rubric", "show", "winback")

    assert result.returncode == 0, result.stderr
    assert "Reason for leaving (reason_for_leaving)" in result.stdout
    assert "pass threshold" in result.stdout


def test_show_unknown_name() -> None:
    result = run_cli("rubric", "show", "no-such-rubric")

    assert result.returncode == 2
    assert result.stderr.startswith("no shipped rubric is named 'no-such-rubric': choose one of ")


def test_schema_is_json_schema(tmp_path: Path) -> None:
    result = run_cli("rubric", "schema")

    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    data, _ = parse_yaml(VALID)
    jsonschema.validate(data, schema)

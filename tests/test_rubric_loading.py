"""Loading rubrics: shipped names, paths, YAML 1.2 booleans, line numbers and the JSON Schema."""

from __future__ import annotations

import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from winback_grader import Rubric, RubricError, load_rubric
from winback_grader.rubric import rubric_json_schema, shipped_rubric_names
from winback_grader.rubric_yaml import LineDict, LineList, line_of, parse_yaml

REPO_ROOT = Path(__file__).resolve().parents[1]

WINBACK_SECTIONS = {
    "opening": ["greeting", "recording_disclosure", "relationship"],
    "discovery": ["reason_for_leaving", "active_listening", "needs"],
    "resolution": ["product_knowledge", "tailored_offer", "objection_handling"],
    "communication": ["clarity", "engagement"],
    "close": ["winback_ask", "next_steps"],
    "compliance": ["honest_claims", "respects_opt_out"],
}


def write_rubric(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_winback_sections_and_ids() -> None:
    rubric = load_rubric("winback")

    assert rubric.id == "winback"
    sections = {section.id: [c.id for c in section.criteria] for section in rubric.sections}
    assert sections == WINBACK_SECTIONS


def test_shipped_winback_compliance_is_critical() -> None:
    rubric = load_rubric("winback")

    for criterion_id in ("honest_claims", "respects_opt_out"):
        criterion = rubric.criterion(criterion_id)
        assert criterion.critical
        assert criterion.scale.kind == "binary"
    assert rubric.criterion("respects_opt_out").na_allowed
    assert rubric.criterion("objection_handling").na_allowed


def test_every_shipped_rubric_loads() -> None:
    names = shipped_rubric_names()

    assert "winback" in names
    for name in names:
        assert load_rubric(name).id == name


def test_load_by_path_string_and_pathlike() -> None:
    path = REPO_ROOT / "rubrics" / "winback.yaml"

    assert load_rubric(path) == load_rubric(str(path))
    assert load_rubric(path) == load_rubric("winback")


def test_file_without_suffix_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_rubric").write_text(
        (REPO_ROOT / "rubrics" / "winback.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)

    assert load_rubric("my_rubric").id == "winback"


def test_unreadable_directory_path(tmp_path: Path) -> None:
    folder = tmp_path / "rubric.yaml"
    folder.mkdir()

    with pytest.raises(RubricError) as caught:
        load_rubric(folder)

    assert str(caught.value) == f"{folder}: cannot read the rubric file: Is a directory"


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_bytes(b"id: \xff\xfe\n")

    with pytest.raises(RubricError) as caught:
        load_rubric(path)

    assert str(caught.value) == f"{path}: cannot read the rubric file: it is not UTF-8 text"


def test_yes_no_on_off_stay_strings(tmp_path: Path) -> None:
    path = write_rubric(
        tmp_path,
        """\
        id: demo
        version: "1"
        name: off
        description: yes
        sections:
          - id: talk
            name: On
            criteria:
              - id: opt_out
                name: NO
                description: Yes
                na_when: no
                scale: binary
                critical: true
        """,
    )

    rubric = load_rubric(path)

    assert rubric.name == "off"
    assert rubric.description == "yes"
    assert rubric.sections[0].name == "On"
    criterion = rubric.criteria[0]
    assert criterion.name == "NO"
    assert criterion.description == "Yes"
    assert criterion.na_when == "no"
    assert criterion.critical is True


def test_binary_levels_keyed_yes_no(tmp_path: Path) -> None:
    path = write_rubric(
        tmp_path,
        """\
        id: demo
        version: "1"
        sections:
          - id: talk
            name: Talk
            criteria:
              - id: disclosure
                name: Disclosure
                description: Says the call is recorded.
                scale: binary
                levels:
                  Yes: Says it.
                  no: Does not.
        """,
    )

    assert load_rubric(path).criteria[0].levels == {1: "Says it.", 0: "Does not."}


def test_binary_levels_keyed_one_zero(tmp_path: Path) -> None:
    path = write_rubric(
        tmp_path,
        """\
        id: demo
        version: "1"
        sections:
          - id: talk
            name: Talk
            criteria:
              - {id: disclosure, name: D, description: d, scale: binary, levels: {1: Y, 0: N}}
        """,
    )

    assert load_rubric(path).criteria[0].levels == {1: "Y", 0: "N"}


def test_yaml_12_booleans_only() -> None:
    data, duplicates = parse_yaml("a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: False\ny: n\n")

    assert data == {"a": "yes", "b": "No", "c": "on", "d": "OFF", "e": True, "f": False, "y": "n"}
    assert duplicates == []


def test_yes_key_stays_string() -> None:
    data, _ = parse_yaml("yes: 1\nno: 0\n")

    assert list(data) == ["yes", "no"]


def test_safe_loader_left_unchanged() -> None:
    assert yaml.safe_load("a: yes") == {"a": True}


def test_lines_of_keys_and_items() -> None:
    data, _ = parse_yaml("id: demo\nsections:\n  - id: one\n    weight: 2\n  - id: two\n")

    assert isinstance(data, LineDict)
    assert isinstance(data["sections"], LineList)
    assert line_of(data, ("id",)) == 1
    assert line_of(data, ("sections", 0)) == 3
    assert line_of(data, ("sections", 0, "weight")) == 4
    assert line_of(data, ("sections", 1, "id")) == 5
    # A missing key points at the mapping that should hold it.
    assert line_of(data, ("sections", 1, "name")) == 5


def test_duplicate_keys_recorded_with_lines() -> None:
    _, duplicates = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")

    found = sorted((d.key, d.first_line, d.second_line) for d in duplicates)
    assert found == [("a", 1, 5), ("c", 3, 4)]


def test_merge_key_override_is_not_duplicate() -> None:
    data, duplicates = parse_yaml("base: &base {a: 1, b: 2}\nmine:\n  <<: *base\n  b: 3\n")

    assert duplicates == []
    assert data["mine"] == {"a": 1, "b": 3}


def test_schema_accepts_shipped_rubrics() -> None:
    schema = rubric_json_schema()

    for name in shipped_rubric_names():
        data, _ = parse_yaml((REPO_ROOT / "rubrics" / f"{name}.yaml").read_text(encoding="utf-8"))
        jsonschema.validate(data, schema)


@pytest.mark.parametrize(
    ("change", "expected_text"),
    [
        ("scale: binary", "scale: binry"),
        ("weight: 1", "wieght: 1"),
        ("weight: 1", "weight: -1"),
        ("scale: binary", "scale: {min: 0, max: 4, step: 1}"),
    ],
    ids=["scale word", "unknown key", "negative weight", "unknown scale key"],
)
def test_schema_rejects_invalid_rubric(change: str, expected_text: str) -> None:
    text = textwrap.dedent(
        """\
        id: demo
        version: "1"
        sections:
          - id: talk
            name: Talk
            criteria:
              - {id: a, name: A, description: d, weight: 1, scale: binary}
        """
    ).replace(change, expected_text)
    data, _ = parse_yaml(text)

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, rubric_json_schema())


def test_schema_describes_yaml_scale() -> None:
    schema = rubric_json_schema()

    scale = schema["$defs"]["Criterion"]["properties"]["scale"]
    assert {"const": "binary"} in scale["anyOf"]
    assert schema["title"] == "winback_grader rubric"


def test_rubric_model_round_trip() -> None:
    rubric = load_rubric("winback")

    assert Rubric.model_validate(rubric.model_dump()) == rubric

"""The weighted aggregation: property tests over random rubrics, then the documented cases."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from winback_grader import Criterion, CriterionGrade, Rubric, Scorecard
from winback_grader.scorecard import aggregate

# Weights are 0 or in [0.01, 10] so that scaling them keeps every weight a normal float.
weights = st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=10))


@st.composite
def criteria_data(draw: st.DrawFn, index: int, critical_allowed: bool) -> dict[str, Any]:
    binary = draw(st.booleans())
    if binary:
        scale: Any = "binary"
    else:
        low = draw(st.integers(min_value=-2, max_value=2))
        scale = {"min": low, "max": low + draw(st.integers(min_value=1, max_value=6))}
    critical = critical_allowed and draw(st.booleans())
    return {
        "id": f"c{index}",
        "name": f"Criterion {index}",
        "description": "d",
        "weight": draw(weights),
        "scale": scale,
        "critical": critical,
        "na_allowed": True,
    }


@st.composite
def rubrics(draw: st.DrawFn, critical_allowed: bool = True) -> Rubric:
    section_count = draw(st.integers(min_value=1, max_value=4))
    use_section_weights = draw(st.booleans())
    counter = 0
    sections = []
    for section_index in range(section_count):
        criteria = []
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            criteria.append(draw(criteria_data(counter, critical_allowed)))
            counter += 1
        section: dict[str, Any] = {"id": f"s{section_index}", "name": "S", "criteria": criteria}
        if use_section_weights:
            section["weight"] = draw(weights)
        sections.append(section)

    # The rubric rejects all-zero weights, so make the first weight positive when needed.
    if all(c["weight"] == 0 for s in sections for c in s["criteria"]):
        sections[0]["criteria"][0]["weight"] = 1.0
    if use_section_weights and all(s["weight"] == 0 for s in sections):
        sections[0]["weight"] = 1.0

    return Rubric.model_validate(
        {
            "id": "prop",
            "version": "1",
            "pass_threshold": draw(st.floats(min_value=0, max_value=100)),
            "auto_fail": draw(st.sampled_from(["zero_total", "zero_section", "flag_only"])),
            "sections": sections,
        }
    )


@st.composite
def grades_for(draw: st.DrawFn, rubric: Rubric, allow_error: bool = True) -> list[CriterionGrade]:
    statuses = ["scored", "scored", "na"] + (["error"] if allow_error else [])
    grades = []
    for criterion in rubric.criteria:
        status = draw(st.sampled_from(statuses))
        if status == "scored":
            score = draw(st.integers(criterion.scale.min, criterion.scale.max))
            grades.append(CriterionGrade.scored(criterion, score, engine="offline"))
        elif status == "na":
            grades.append(CriterionGrade.not_applicable(criterion, reasoning="", engine="offline"))
        else:
            grades.append(CriterionGrade.failed(criterion, "model failed", engine="offline"))
    return grades


@st.composite
def rubric_and_grades(
    draw: st.DrawFn, critical_allowed: bool = True, allow_error: bool = True
) -> tuple[Rubric, list[CriterionGrade]]:
    rubric = draw(rubrics(critical_allowed))
    return rubric, draw(grades_for(rubric, allow_error))


def score(rubric: Rubric, grades: list[CriterionGrade]) -> Scorecard:
    return aggregate(rubric, grades, transcript_id="call", engine="offline")


def same_total(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return first is second
    return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=150, deadline=None)
@given(rubric_and_grades())
def test_total_in_range_or_none(case: tuple[Rubric, list[CriterionGrade]]) -> None:
    scorecard = score(*case)

    if scorecard.total is None:
        assert scorecard.passed is None
    else:
        assert 0 <= scorecard.total <= 100 + 1e-9
        assert not math.isnan(scorecard.total)
        assert isinstance(scorecard.passed, bool)


@settings(max_examples=100, deadline=None)
@given(rubric_and_grades(), st.data())
def test_na_criterion_never_changes_total(
    case: tuple[Rubric, list[CriterionGrade]], data: st.DataObject
) -> None:
    rubric, grades = case
    section_index = data.draw(st.integers(0, len(rubric.sections) - 1))
    extra = Criterion(
        id="extra",
        name="Extra",
        description="d",
        weight=data.draw(st.floats(min_value=0.01, max_value=10)),
        scale=data.draw(st.sampled_from(["binary", {"min": 0, "max": 4}])),
        critical=data.draw(st.booleans()),
        na_allowed=True,
    )
    sections = list(rubric.sections)
    target = sections[section_index]
    sections[section_index] = target.model_copy(update={"criteria": [*target.criteria, extra]})
    bigger = Rubric.model_validate(
        {**rubric.model_dump(), "sections": [s.model_dump() for s in sections]}
    )
    na_grade = CriterionGrade.not_applicable(extra, reasoning="", engine="offline")

    before = score(rubric, grades)
    after = score(bigger, [*grades, na_grade])

    assert same_total(before.total, after.total)
    assert before.passed == after.passed
    assert before.auto_failed == after.auto_failed


@settings(max_examples=100, deadline=None)
@given(rubric_and_grades(), st.floats(min_value=0.01, max_value=100))
def test_scaling_weights_never_changes_total(
    case: tuple[Rubric, list[CriterionGrade]], factor: float
) -> None:
    rubric, grades = case
    data = rubric.model_dump()
    for section in data["sections"]:
        if section["weight"] is not None:
            section["weight"] *= factor
        for criterion in section["criteria"]:
            criterion["weight"] *= factor
    scaled = Rubric.model_validate(data)

    before = score(rubric, grades)
    after = score(scaled, grades)

    assert same_total(before.total, after.total)
    assert before.auto_failed == after.auto_failed


@settings(max_examples=150, deadline=None)
@given(rubric_and_grades(critical_allowed=False), st.data())
def test_raising_a_score_never_lowers_total(
    case: tuple[Rubric, list[CriterionGrade]], data: st.DataObject
) -> None:
    rubric, grades = case
    raisable = [
        index
        for index, (criterion, grade) in enumerate(zip(rubric.criteria, grades, strict=True))
        if grade.status == "scored"
        and grade.score is not None
        and grade.score < criterion.scale.max
    ]
    if not raisable:
        return
    index = data.draw(st.sampled_from(raisable))
    criterion = rubric.criteria[index]
    old_score = grades[index].score
    assert old_score is not None
    new_score = data.draw(st.integers(int(old_score) + 1, criterion.scale.max))
    raised = list(grades)
    raised[index] = CriterionGrade.scored(criterion, new_score, engine="offline")

    before = score(rubric, grades)
    after = score(rubric, raised)

    assert not before.auto_failed
    assert not after.auto_failed
    if before.total is None:
        assert after.total is None
    else:
        assert after.total is not None
        assert after.total >= before.total - 1e-9


@settings(max_examples=100, deadline=None)
@given(rubric_and_grades())
def test_auto_failed_call_never_passes(case: tuple[Rubric, list[CriterionGrade]]) -> None:
    scorecard = score(*case)

    if scorecard.auto_failed:
        assert scorecard.passed is not True
        if scorecard.total is not None:
            assert scorecard.passed is False


@settings(max_examples=100, deadline=None)
@given(rubric_and_grades(allow_error=False))
def test_policies_match_their_definition(case: tuple[Rubric, list[CriterionGrade]]) -> None:
    rubric, grades = case
    data = rubric.model_dump()
    for section in data["sections"]:
        for criterion_data in section["criteria"]:
            criterion_data["critical"] = False
    uncritical = Rubric.model_validate(data)
    plain = score(uncritical, grades)
    flagged = score(rubric.model_copy(update={"auto_fail": "flag_only"}), grades)
    zeroed = score(rubric.model_copy(update={"auto_fail": "zero_total"}), grades)

    # flag_only never changes the total; zero_total makes an auto-failed total 0.
    assert same_total(flagged.total, plain.total)
    if zeroed.auto_failed:
        assert zeroed.total == 0.0
    else:
        assert same_total(zeroed.total, plain.total)


# --- table tests --------------------------------------------------------------------------


def make_rubric(
    sections: list[dict[str, Any]], *, pass_threshold: float = 80, auto_fail: str = "zero_total"
) -> Rubric:
    return Rubric.model_validate(
        {
            "id": "table",
            "version": "1",
            "pass_threshold": pass_threshold,
            "auto_fail": auto_fail,
            "sections": sections,
        }
    )


def criterion(
    criterion_id: str, scale: Any = "binary", weight: float = 1.0, **extra: Any
) -> dict[str, Any]:
    return {
        "id": criterion_id,
        "name": criterion_id,
        "description": "d",
        "scale": scale,
        "weight": weight,
        **extra,
    }


def scored(rubric: Rubric, criterion_id: str, value: float) -> CriterionGrade:
    return CriterionGrade.scored(rubric.criterion(criterion_id), value, engine="offline")


def not_applicable(rubric: Rubric, criterion_id: str) -> CriterionGrade:
    return CriterionGrade.not_applicable(
        rubric.criterion(criterion_id), reasoning="", engine="offline"
    )


def test_just_below_threshold_fails() -> None:
    rubric = make_rubric(
        [{"id": "s", "name": "S", "criteria": [criterion("a", {"min": 0, "max": 40})]}],
        pass_threshold=73,
    )

    scorecard = score(rubric, [scored(rubric, "a", 29)])

    assert scorecard.total == pytest.approx(72.5)
    assert scorecard.passed is False


def test_pass_uses_unrounded_total() -> None:
    # 0.7299 x 100 would display as 73 when rounded, but the unrounded total is below 73.
    rubric = make_rubric(
        [{"id": "s", "name": "S", "criteria": [criterion("a", {"min": 0, "max": 10000})]}],
        pass_threshold=73,
    )

    scorecard = score(rubric, [scored(rubric, "a", 7299)])

    assert round(scorecard.total or 0) == 73
    assert scorecard.passed is False


def test_critical_na_never_auto_fails() -> None:
    rubric = make_rubric(
        [
            {
                "id": "s",
                "name": "S",
                "criteria": [criterion("a"), criterion("opt_out", critical=True, na_allowed=True)],
            }
        ]
    )

    scorecard = score(rubric, [scored(rubric, "a", 1), not_applicable(rubric, "opt_out")])

    assert scorecard.auto_failed is False
    assert scorecard.total == 100.0
    assert scorecard.passed is True


def test_one_to_five_scale_normalises() -> None:
    rubric = make_rubric(
        [{"id": "s", "name": "S", "criteria": [criterion("a", {"min": 1, "max": 5})]}]
    )

    lowest = scored(rubric, "a", 1)
    highest = scored(rubric, "a", 5)

    assert lowest.normalized == 0.0
    assert highest.normalized == 1.0
    assert score(rubric, [lowest]).total == 0.0
    assert score(rubric, [highest]).total == 100.0


def test_all_na_gives_no_total() -> None:
    rubric = make_rubric(
        [{"id": "s", "name": "S", "weight": 1, "criteria": [criterion("a"), criterion("b")]}]
    )

    scorecard = score(rubric, [not_applicable(rubric, "a"), not_applicable(rubric, "b")])

    assert scorecard.total is None
    assert scorecard.passed is None
    assert scorecard.sections[0].score is None


def test_error_gives_no_total_keeps_grades() -> None:
    rubric = make_rubric(
        [
            {
                "id": "s",
                "name": "S",
                "criteria": [criterion("a"), criterion("b", {"min": 0, "max": 4})],
            }
        ]
    )
    failed = CriterionGrade.failed(rubric.criterion("b"), "timed out", engine="llm")

    scorecard = score(rubric, [scored(rubric, "a", 1), failed])

    assert scorecard.total is None
    assert scorecard.passed is None
    assert scorecard.grade("a").status == "scored"
    assert scorecard.grade("a").score == 1
    assert scorecard.grade("b").status == "error"
    assert scorecard.grade("b").error == "timed out"


def auto_fail_case(policy: str) -> Scorecard:
    rubric = make_rubric(
        [
            {
                "id": "talk",
                "name": "Talk",
                "weight": 3,
                "criteria": [criterion("a", {"min": 0, "max": 4})],
            },
            {
                "id": "compliance",
                "name": "Compliance",
                "weight": 1,
                "criteria": [criterion("honest", critical=True), criterion("disclosure")],
            },
        ],
        pass_threshold=50,
        auto_fail=policy,
    )
    grades = [scored(rubric, "a", 4), scored(rubric, "honest", 0), scored(rubric, "disclosure", 1)]
    return score(rubric, grades)


def test_auto_fail_zero_total() -> None:
    scorecard = auto_fail_case("zero_total")

    assert scorecard.auto_failed is True
    assert scorecard.total == 0.0
    assert scorecard.passed is False


def test_auto_fail_zero_section() -> None:
    scorecard = auto_fail_case("zero_section")

    assert scorecard.auto_failed is True
    assert scorecard.sections[1].score == 0.0
    assert scorecard.sections[0].score == 100.0
    # Talk counts 3 of 4 section weight at 100, compliance 1 of 4 at 0.
    assert scorecard.total == pytest.approx(75.0)
    assert scorecard.passed is False


def test_auto_fail_flag_only() -> None:
    scorecard = auto_fail_case("flag_only")

    assert scorecard.auto_failed is True
    # Compliance scores 50 (one of two equal criteria met): 3/4 x 100 + 1/4 x 50.
    assert scorecard.total == pytest.approx(87.5)
    assert scorecard.passed is False


def test_no_section_weights_use_criterion_weights() -> None:
    rubric = make_rubric(
        [
            {"id": "one", "name": "One", "criteria": [criterion("a", weight=3)]},
            {"id": "two", "name": "Two", "criteria": [criterion("b", weight=1)]},
        ]
    )

    scorecard = score(rubric, [scored(rubric, "a", 1), scored(rubric, "b", 0)])

    # By criterion weight across the rubric: 3/4, not the mean of the two section scores (50).
    assert scorecard.total == pytest.approx(75.0)
    assert [section.weight for section in scorecard.sections] == [3.0, 1.0]


def test_na_renormalises_section_weights() -> None:
    rubric = make_rubric(
        [
            {
                "id": "s",
                "name": "S",
                "weight": 1,
                "criteria": [criterion("a", weight=1), criterion("b", weight=3, na_allowed=True)],
            }
        ]
    )

    scorecard = score(rubric, [scored(rubric, "a", 1), not_applicable(rubric, "b")])

    assert scorecard.sections[0].score == 100.0
    assert scorecard.total == 100.0

"""The shipped rubrics: they load, match the specification and have indicators throughout."""

from __future__ import annotations

import pytest

from winback_grader import Rubric, load_rubric
from winback_grader.engines.phrases import OfflineEngine

WINBACK_STRUCTURE = {
    "opening": ["greeting", "recording_disclosure", "relationship"],
    "discovery": ["reason_for_leaving", "active_listening", "needs"],
    "resolution": ["product_knowledge", "tailored_offer", "objection_handling"],
    "communication": ["clarity", "engagement"],
    "close": ["winback_ask", "next_steps"],
    "compliance": ["honest_claims", "respects_opt_out"],
}
BINARY = {"recording_disclosure", "honest_claims", "respects_opt_out"}


@pytest.fixture(scope="module")
def winback() -> Rubric:
    return load_rubric("winback")


def test_winback_sections_and_criteria_exact(winback: Rubric) -> None:
    structure = {
        section.id: [criterion.id for criterion in section.criteria] for section in winback.sections
    }

    assert winback.id == "winback"
    assert list(structure) == list(WINBACK_STRUCTURE)
    assert structure == WINBACK_STRUCTURE


def test_winback_scales_match_specification(winback: Rubric) -> None:
    for criterion in winback.criteria:
        if criterion.id in BINARY:
            assert criterion.scale.kind == "binary", criterion.id
        else:
            assert (criterion.scale.min, criterion.scale.max) == (0, 4), criterion.id


def test_winback_critical_and_na_flags(winback: Rubric) -> None:
    critical = {criterion.id for criterion in winback.criteria if criterion.critical}
    na_allowed = {criterion.id for criterion in winback.criteria if criterion.na_allowed}

    assert critical == {"honest_claims", "respects_opt_out"}
    assert na_allowed == {"objection_handling", "respects_opt_out"}
    for criterion in winback.criteria:
        if criterion.na_allowed:
            assert criterion.na_when, criterion.id


def test_winback_weights_favour_communication_and_reason(winback: Rubric) -> None:
    weights = {section.id: section.weight or 0 for section in winback.sections}
    total = sum(weights.values())
    reason_sections = weights["discovery"] + weights["resolution"]

    # Communication and the reason for leaving (found in discovery, fixed in resolution)
    # weigh most: each section outweighs opening and close, and together they are most of it.
    for heavy in ("communication", "discovery", "resolution"):
        assert weights[heavy] > weights["opening"], heavy
        assert weights[heavy] > weights["close"], heavy
    assert (weights["communication"] + reason_sections) / total >= 0.6
    discovery = next(section for section in winback.sections if section.id == "discovery")
    resolution = next(section for section in winback.sections if section.id == "resolution")
    assert max(discovery.criteria, key=lambda c: c.weight).id == "reason_for_leaving"
    assert max(resolution.criteria, key=lambda c: c.weight).id == "tailored_offer"


@pytest.mark.parametrize("name", ["winback", "winback-compact"])
def test_every_criterion_fully_written(name: str) -> None:
    rubric = load_rubric(name)

    for criterion in rubric.criteria:
        assert criterion.indicators is not None, criterion.id
        assert criterion.description, criterion.id
        assert criterion.levels, criterion.id
        assert set(criterion.levels) <= set(criterion.scale.values), criterion.id


@pytest.mark.parametrize("name", ["winback", "winback-compact"])
def test_indicators_compile_for_engine(name: str) -> None:
    rubric = load_rubric(name)
    compiled = OfflineEngine()._compile_rubric(rubric)

    problems = {
        criterion_id: entry for criterion_id, entry in compiled.items() if isinstance(entry, str)
    }

    assert problems == {}


def test_winback_steps_for_every_criterion(winback: Rubric) -> None:
    for criterion in winback.criteria:
        assert len(criterion.evaluation_steps) >= 2, criterion.id


def test_compact_is_small_and_mostly_binary() -> None:
    compact = load_rubric("winback-compact")
    binary = [criterion for criterion in compact.criteria if criterion.scale.kind == "binary"]

    assert compact.id == "winback-compact"
    assert 5 <= len(compact.criteria) <= 8
    assert len(binary) >= len(compact.criteria) - 1
    assert [c.id for c in compact.criteria if c.critical] == ["honest_claims"]

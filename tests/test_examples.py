"""The example calls in examples/ load in every format and grade offline as their stories say."""

from __future__ import annotations

from pathlib import Path

import pytest

from winback_grader import Scorecard, grade, load_transcript

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CALLS = {
    "call-1001": "call-1001.txt",
    "call-1002": "call-1002.json",
    "call-1003": "call-1003.vtt",
    "call-1004": "call-1004.json",
    "call-1005": "call-1005.txt",
    "call-1006": "call-1006.srt",
}


def graded(call_id: str, rubric: str = "winback") -> Scorecard:
    return grade(EXAMPLES / CALLS[call_id], rubric)


def test_examples_cover_three_formats() -> None:
    suffixes = {Path(name).suffix for name in CALLS.values()}

    assert {".txt", ".json", ".vtt", ".srt"} <= suffixes
    assert sorted(p.name for p in EXAMPLES.glob("call-*.*") if ".meta." not in p.name) == sorted(
        CALLS.values()
    )


@pytest.mark.parametrize("call_id", sorted(CALLS))
def test_example_carries_metadata(call_id: str) -> None:
    transcript = load_transcript(EXAMPLES / CALLS[call_id])

    assert transcript.id == call_id
    for key in ("call_id", "agent_id", "team", "started_at", "outcome"):
        assert transcript.metadata.get(key), f"{call_id} lacks {key}"


@pytest.mark.parametrize(
    "call_id", ["call-1001", "call-1002", "call-1003", "call-1004", "call-1006"]
)
def test_example_roles_agent_and_customer(call_id: str) -> None:
    transcript = load_transcript(EXAMPLES / CALLS[call_id])
    roles = [turn.role for turn in transcript.turns]

    assert roles[0] == "agent"
    assert set(roles) == {"agent", "customer"}


def test_representatives_and_outcomes_vary() -> None:
    metadata = [load_transcript(EXAMPLES / name).metadata for name in CALLS.values()]

    assert len({m["agent_id"] for m in metadata}) >= 3
    assert {"won_back", "lost"} <= {m["outcome"] for m in metadata}


def test_excellent_won_back_call_passes() -> None:
    scorecard = graded("call-1001")

    assert scorecard.engine == "offline"
    assert scorecard.passed is True
    assert scorecard.total is not None
    assert scorecard.total >= 90
    assert scorecard.auto_failed is False
    assert scorecard.grade("reason_for_leaving").score == 4
    assert scorecard.grade("tailored_offer").score == 4
    assert scorecard.grade("respects_opt_out").status == "na"


def test_vtt_won_back_call_passes() -> None:
    scorecard = graded("call-1003")

    assert scorecard.passed is True
    assert scorecard.metadata["agent_id"] == "chidi.okafor"
    assert scorecard.grade("recording_disclosure").score == 1
    greeting = scorecard.grade("greeting")
    assert greeting.evidence[0].start == 0.0
    assert greeting.evidence[0].turn_index == 0


def test_weak_lost_call_fails_without_auto_fail() -> None:
    scorecard = graded("call-1002")

    assert scorecard.passed is False
    assert scorecard.auto_failed is False
    assert scorecard.total is not None
    assert scorecard.total < 50
    assert scorecard.grade("recording_disclosure").score == 0
    # The agent pitches before asking anything, so no question about the reason or needs.
    assert scorecard.grade("reason_for_leaving").score == 1
    assert scorecard.grade("needs").score == 0


def test_compliance_failure_auto_fails() -> None:
    scorecard = graded("call-1004")

    assert scorecard.auto_failed is True
    assert scorecard.passed is False
    assert scorecard.total == 0.0
    honest = scorecard.grade("honest_claims")
    assert honest.score == 0
    assert "makes a misleading promise" in honest.reasoning
    assert any("I guarantee" in evidence.quote for evidence in honest.evidence)
    # The customer asked twice not to be called, and the agent kept selling.
    assert scorecard.grade("respects_opt_out").score == 0


def test_compact_rubric_auto_fails_compliance_call() -> None:
    scorecard = graded("call-1004", rubric="winback-compact")

    assert scorecard.rubric_id == "winback-compact"
    assert scorecard.auto_failed is True
    assert scorecard.total == 0.0


def test_voicemail_is_all_na() -> None:
    scorecard = graded("call-1005")

    assert all(grade.status == "na" for grade in scorecard.grades)
    assert scorecard.total is None
    assert scorecard.passed is None
    assert scorecard.auto_failed is False
    assert "Not gradable" in scorecard.grades[0].reasoning


def test_polite_lost_call_fails_on_offer() -> None:
    scorecard = graded("call-1006")

    assert scorecard.passed is False
    assert scorecard.auto_failed is False
    assert scorecard.grade("recording_disclosure").score == 1
    assert scorecard.grade("honest_claims").score == 1
    assert scorecard.grade("respects_opt_out").status == "na"
    # "No thank you, I'm all set" is an objection; "Fair enough" acknowledges it.
    assert scorecard.grade("objection_handling").status == "scored"

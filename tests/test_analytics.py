"""Roll-ups across scorecards: per representative, per team, conversion, outcome links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from winback_grader import CriterionGrade, Scorecard, grade_many
from winback_grader.analytics import (
    conversion_rate,
    criteria_by_outcome,
    criterion_means,
    outcome_of,
    summarize_by_agent,
    summarize_by_team,
    training_focus,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def card(
    call_id: str,
    scores: dict[str, float | None],
    total: float | None,
    passed: bool | None = None,
    auto_failed: bool = False,
    **metadata: Any,
) -> Scorecard:
    """Build a scorecard whose criteria have these normalized scores (None = N/A)."""
    grades = [
        CriterionGrade(criterion_id=criterion_id, status="na")
        if value is None
        else CriterionGrade(
            criterion_id=criterion_id, status="scored", score=value, normalized=value
        )
        for criterion_id, value in scores.items()
    ]
    return Scorecard(
        transcript_id=call_id,
        rubric_id="r",
        rubric_version="1",
        engine="offline",
        grades=grades,
        sections=[],
        total=total,
        passed=passed,
        auto_failed=auto_failed,
        metadata=metadata,
    )


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("won_back", "won"),
        ("Won back", "won"),
        ("retained", "won"),
        ("lost", "lost"),
        ("Churned", "lost"),
        ("no_answer", None),
        (None, None),
        (3, None),
    ],
)
def test_outcome_labels_normalized(outcome: Any, expected: str | None) -> None:
    assert outcome_of(card("c", {}, None, outcome=outcome)) == expected


def test_conversion_ignores_unknown_outcomes() -> None:
    cards = [
        card("a", {}, 80, outcome="won_back"),
        card("b", {}, 40, outcome="lost"),
        card("c", {}, 60, outcome="lost"),
        card("d", {}, 60, outcome="voicemail"),
    ]

    assert conversion_rate(cards) == pytest.approx(1 / 3)
    assert conversion_rate([card("e", {}, 50)]) is None


def test_criterion_means_skip_na() -> None:
    cards = [
        card("a", {"greeting": 1.0, "offer": None}, 90),
        card("b", {"greeting": 0.5, "offer": None}, 50),
    ]

    means = criterion_means(cards)

    assert means == {"greeting": 0.75, "offer": None}


def test_training_focus_two_lowest_in_rubric_order() -> None:
    means = {"greeting": 0.5, "reason": 0.25, "offer": 0.5, "close": None, "ask": 0.25}

    assert training_focus(means) == ["reason", "ask"]
    assert training_focus({"greeting": 0.5, "offer": 0.5, "ask": 0.5}) == ["greeting", "offer"]


def test_training_focus_skips_full_marks() -> None:
    means = {"greeting": 1.0, "offer": 0.75, "ask": 1.0}

    assert training_focus(means) == ["offer"]
    assert training_focus({"greeting": 1.0, "offer": 1.0}) == []


def test_summary_per_agent_figures() -> None:
    cards = [
        card(
            "a1",
            {"greeting": 1.0, "offer": 0.5},
            80,
            True,
            agent_id="ana",
            team="east",
            outcome="won_back",
        ),
        card(
            "a2",
            {"greeting": 0.5, "offer": 0.0},
            40,
            False,
            agent_id="ana",
            team="east",
            outcome="lost",
        ),
        card("a3", {"greeting": None, "offer": None}, None, None, agent_id="ana", team="east"),
        card("b1", {"greeting": 0.0, "offer": 1.0}, 0.0, False, True, agent_id="ben", team="west"),
        card("x1", {"greeting": 1.0, "offer": 1.0}, 100, True),
    ]

    summaries = {summary.key: summary for summary in summarize_by_agent(cards)}

    assert list(summaries) == ["(none)", "ana", "ben"]
    ana = summaries["ana"]
    assert ana.calls == 3
    assert ana.scored_calls == 2
    assert ana.mean_total == 60.0
    assert ana.pass_rate == 0.5
    assert ana.auto_fails == 0
    assert ana.conversion_rate == 0.5
    assert ana.team == "east"
    assert ana.criterion_means == {"greeting": 0.75, "offer": 0.25}
    assert ana.training_focus == ["offer", "greeting"]
    ben = summaries["ben"]
    assert ben.auto_fails == 1
    assert ben.pass_rate == 0.0
    assert ben.conversion_rate is None


def test_summary_per_team() -> None:
    cards = [
        card("a1", {"greeting": 1.0}, 80, True, agent_id="ana", team="east"),
        card("c1", {"greeting": 0.0}, 20, False, agent_id="chidi", team="east"),
        card("b1", {"greeting": 0.5}, 50, False, agent_id="ben", team="west"),
    ]

    teams = {summary.key: summary for summary in summarize_by_team(cards)}

    assert list(teams) == ["east", "west"]
    assert teams["east"].calls == 2
    assert teams["east"].mean_total == 50.0
    assert teams["east"].team is None


def test_summary_without_scored_calls() -> None:
    summaries = summarize_by_agent([card("v", {"greeting": None}, None, agent_id="ana")])

    assert summaries[0].mean_total is None
    assert summaries[0].pass_rate is None
    assert summaries[0].criterion_means == {"greeting": None}
    assert summaries[0].training_focus == []


def test_criteria_by_outcome_largest_gap_first() -> None:
    cards = [
        card("w1", {"greeting": 1.0, "offer": 1.0, "ask": 1.0}, 100, outcome="won_back"),
        card("w2", {"greeting": 1.0, "offer": 0.5, "ask": None}, 80, outcome="won_back"),
        card("l1", {"greeting": 0.75, "offer": 0.0, "ask": None}, 20, outcome="lost"),
    ]

    links = criteria_by_outcome(cards)

    assert [link.criterion_id for link in links] == ["offer", "greeting", "ask"]
    assert links[0].won_mean == 0.75
    assert links[0].lost_mean == 0.0
    assert links[0].difference == 0.75
    assert links[1].difference == 0.25
    assert links[2].lost_mean is None
    assert links[2].difference is None


def test_examples_roll_up_by_agent() -> None:
    cards = grade_many(sorted(p for p in EXAMPLES.glob("call-*") if ".meta." not in p.name))
    by_id = {scorecard.transcript_id: scorecard for scorecard in cards}

    summaries = {summary.key: summary for summary in summarize_by_agent(cards)}

    assert sorted(summaries) == ["ana.rivera", "ben.chen", "chidi.okafor"]
    ana = summaries["ana.rivera"]
    assert ana.calls == 2
    assert ana.scored_calls == 1  # the voicemail has no total
    assert ana.mean_total == by_id["call-1001"].total
    assert ana.conversion_rate == 1.0  # won back once; "no_answer" is not an outcome
    ben = summaries["ben.chen"]
    assert ben.auto_fails == 1
    assert ben.pass_rate == 0.0
    assert ben.conversion_rate == 0.0
    assert summaries["chidi.okafor"].conversion_rate == 0.5
    assert "honest_claims" not in summaries["chidi.okafor"].training_focus

"""The offline phrase engine: folding, fuzzy matching, negation, roles, windows, levels, N/A."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from winback_grader import Rubric, RubricError, Transcript, Turn, grade, load_rubric
from winback_grader.engines.matching import fold
from winback_grader.engines.phrases import OfflineEngine
from winback_grader.scorecard import CriterionGrade


def make_rubric(tmp_path: Path, indicators: dict[str, Any], **criterion: Any) -> Rubric:
    """Write a one-criterion rubric with these indicators to a file and load it."""
    body = {
        "id": "offer",
        "name": "Offer",
        "description": "Makes an offer.",
        "scale": {"min": 0, "max": 4},
        "indicators": indicators,
        **criterion,
    }
    data = {
        "id": "test",
        "version": "1",
        "sections": [{"id": "main", "name": "Main", "criteria": [body]}],
    }
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_rubric(path)


def call(*lines: tuple[str, str]) -> Transcript:
    """Build a transcript from (role, text) pairs, five seconds a turn."""
    turns = [
        Turn(speaker=role.title(), role=role, text=text, start=index * 5.0, end=index * 5.0 + 4.0)  # type: ignore[arg-type]
        for index, (role, text) in enumerate(lines)
    ]
    return Transcript(id="t", turns=turns)


def grade_one(rubric: Rubric, transcript: Transcript) -> CriterionGrade:
    engine = OfflineEngine()
    result = asyncio.run(engine.grade(transcript, rubric, rubric.criteria))
    assert len(result.grades) == 1
    return result.grades[0]


OFFER = {
    "signals": [{"id": "offers", "label": "makes an offer", "phrases": ["i can offer you"]}],
    "levels": {4: ["offers"]},
}


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("I CAN'T offer you that!", "i can not offer you that"),
        ("We're sure it's fine.", "we are sure it is fine"),
        ("Won't you stay? I'm glad.", "will not you stay | i am glad"),
        ("The company’s plan, OK?", "the company plan okay"),
        ("I'm gonna cancel, Ms. Novak", "i am going to cancel ms novak"),
        ("Let's go... now", "let us go | now"),
    ],
)
def test_fold_normalizes_text(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_exact_phrase_scores_with_evidence(tmp_path: Path) -> None:
    rubric = make_rubric(tmp_path, OFFER)
    transcript = call(
        ("agent", "Hello there."),
        ("customer", "I want to leave."),
        ("agent", "Well, I can offer you a lower price."),
    )

    grade = grade_one(rubric, transcript)

    assert grade.status == "scored"
    assert grade.score == 4
    assert grade.normalized == 1.0
    assert "makes an offer (turn 2)" in grade.reasoning
    assert len(grade.evidence) == 1
    evidence = grade.evidence[0]
    assert evidence.quote == "Well, I can offer you a lower price."
    assert evidence.turn_index == 2
    assert evidence.speaker == "agent"
    assert evidence.start == 10.0
    assert evidence.end == 14.0
    assert evidence.verified is True


def test_matching_folds_case_and_contractions(tmp_path: Path) -> None:
    indicators = {
        "signals": [{"id": "offers", "phrases": ["we're able to offer"]}],
        "levels": {4: ["offers"]},
    }
    rubric = make_rubric(tmp_path, indicators)
    transcript = call(("agent", "WE ARE ABLE TO OFFER, truly, a credit."), ("customer", "Okay."))

    assert grade_one(rubric, transcript).score == 4


def test_fuzzy_match_accepts_transcription_noise(tmp_path: Path) -> None:
    indicators = {
        "signals": [{"id": "discloses", "phrases": ["recorded for quality and training"]}],
        "levels": {4: ["discloses"]},
    }
    rubric = make_rubric(tmp_path, indicators)
    noisy = call(("agent", "This call is recordid for qualty and trainin."), ("customer", "Sure."))
    unrelated = call(
        ("agent", "We ordered food quickly for the training day."), ("customer", "Sure.")
    )

    noisy_grade = grade_one(rubric, noisy)
    unrelated_grade = grade_one(rubric, unrelated)

    assert noisy_grade.score == 4
    assert unrelated_grade.score == 0


def test_short_phrase_never_matches_fuzzily(tmp_path: Path) -> None:
    indicators = {
        "signals": [{"id": "declines", "role": "customer", "phrases": ["no thanks"]}],
        "levels": {4: ["declines"]},
    }
    rubric = make_rubric(tmp_path, indicators)
    transcript = call(("agent", "How are you?"), ("customer", "I am fine thanks."))

    assert grade_one(rubric, transcript).score == 0


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("I can't offer you a discount.", 0),
        ("I cannot offer you anything.", 0),
        ("Honestly, not sure I can offer you more.", 0),
        ("I am not able to say I can offer you more.", 4),
        ("That is not a problem. I can offer you a credit.", 4),
        ("I can offer you a credit.", 4),
    ],
    ids=[
        "contraction",
        "cannot",
        "within-three-words",
        "four-words-away",
        "other-sentence",
        "plain",
    ],
)
def test_negation_cancels_positive_phrase(tmp_path: Path, text: str, score: int) -> None:
    rubric = make_rubric(tmp_path, OFFER)
    transcript = call(("agent", text), ("customer", "Hm."))

    assert grade_one(rubric, transcript).score == score


def test_negation_off_keeps_negative_phrases(tmp_path: Path) -> None:
    indicators = {
        "signals": [
            {"id": "refuses", "role": "customer", "phrases": ["do not call me"], "negation": False}
        ],
        "levels": {4: ["refuses"]},
    }
    rubric = make_rubric(tmp_path, indicators)
    transcript = call(("agent", "Hi."), ("customer", "Please, never again, do not call me."))

    assert grade_one(rubric, transcript).score == 4


def test_phrase_from_wrong_role_ignored(tmp_path: Path) -> None:
    rubric = make_rubric(tmp_path, OFFER)
    transcript = call(("agent", "Hello."), ("customer", "I can offer you my old phone."))

    grade = grade_one(rubric, transcript)

    assert grade.score == 0
    assert grade.evidence == []


def test_window_first_and_last_turns(tmp_path: Path) -> None:
    indicators = {
        "signals": [
            {"id": "opens", "phrases": ["good morning"], "window": {"first": 2}},
            {"id": "closes", "phrases": ["have a great day"], "window": {"last": 1}},
        ],
        "levels": {4: ["opens", "closes"], 2: {"any": ["opens", "closes"]}},
    }
    rubric = make_rubric(tmp_path, indicators)
    late_greeting = call(
        ("agent", "Hi."),
        ("customer", "Hi."),
        ("agent", "So."),
        ("customer", "Yes."),
        ("agent", "Good morning, by the way."),
        ("customer", "Bye."),
        ("agent", "Have a great day."),
    )
    early_greeting = call(
        ("agent", "Good morning."),
        ("customer", "Hi."),
        ("agent", "Have a great day."),
        ("customer", "Bye."),
        ("agent", "One more thing."),
    )

    late_grade = grade_one(rubric, late_greeting)
    early_grade = grade_one(rubric, early_greeting)

    assert late_grade.score == 2  # the greeting is the agent's third turn, after the window
    assert early_grade.score == 2  # the farewell is not the agent's last turn


def test_window_after_other_signal(tmp_path: Path) -> None:
    indicators = {
        "signals": [
            {"id": "objects", "role": "customer", "phrases": ["too expensive"], "negation": False},
            {"id": "empathizes", "phrases": ["i understand"], "window": {"after": "objects"}},
        ],
        "levels": {4: ["empathizes"]},
    }
    rubric = make_rubric(tmp_path, indicators)
    before = call(
        ("agent", "I understand."), ("customer", "It is too expensive."), ("agent", "Ok.")
    )
    after = call(("agent", "Hi."), ("customer", "It is too expensive."), ("agent", "I understand."))

    assert grade_one(rubric, before).score == 0
    assert grade_one(rubric, after).score == 4


LEVELS = {
    "signals": [
        {"id": "a", "phrases": ["alpha"]},
        {"id": "b", "phrases": ["bravo"]},
        {"id": "c", "phrases": ["charlie"]},
    ],
    "levels": {
        4: ["a", "b", "c"],
        3: {"at_least": 2, "of": ["a", "b", "c"]},
        2: {"all": ["a"], "any": ["b", "c"]},
        1: {"any": ["b", "c"]},
    },
    "otherwise": 0,
}


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("alpha bravo charlie", 4),
        ("bravo charlie", 3),
        ("alpha charlie", 3),
        ("charlie", 1),
        ("alpha", 0),
        ("nothing", 0),
    ],
)
def test_levels_map_matches_to_score(tmp_path: Path, text: str, score: int) -> None:
    rubric = make_rubric(tmp_path, LEVELS)
    transcript = call(("agent", text), ("customer", "Ok."))

    assert grade_one(rubric, transcript).score == score


def test_otherwise_sets_default_score(tmp_path: Path) -> None:
    indicators = {
        "signals": [{"id": "checks", "phrases": ["does that make sense"]}],
        "levels": {4: ["checks"]},
        "otherwise": 2,
    }
    rubric = make_rubric(tmp_path, indicators)
    transcript = call(("agent", "Here is the plan."), ("customer", "Ok."))

    grade = grade_one(rubric, transcript)

    assert grade.score == 2
    assert "default score" in grade.reasoning


def test_binary_levels_keyed_yes(tmp_path: Path) -> None:
    indicators = {
        "signals": [{"id": "discloses", "phrases": ["may be recorded"]}],
        "levels": {"yes": ["discloses"]},
    }
    rubric = make_rubric(tmp_path, indicators, scale="binary")

    disclosed = grade_one(
        rubric, call(("agent", "This call may be recorded."), ("customer", "Ok."))
    )
    silent = grade_one(rubric, call(("agent", "Hello."), ("customer", "Ok.")))

    assert disclosed.score == 1
    assert "yes" in disclosed.reasoning
    assert silent.score == 0


def test_negative_indicator_caps_score(tmp_path: Path) -> None:
    indicators = {
        **OFFER,
        "signals": [
            *OFFER["signals"],
            {"id": "pressures", "label": "pressures the customer", "phrases": ["decide right now"]},
        ],
        "negative": [{"signal": "pressures", "cap": 1}],
    }
    rubric = make_rubric(tmp_path, indicators)
    transcript = call(("agent", "I can offer you a credit. Decide right now."), ("customer", "No."))

    grade = grade_one(rubric, transcript)

    assert grade.score == 1
    assert "pressures the customer lowered it from 4 to 1" in grade.reasoning


def test_negative_lower_stops_at_minimum(tmp_path: Path) -> None:
    indicators = {
        "signals": [
            {"id": "offers", "phrases": ["i can offer you"]},
            {"id": "guesses", "phrases": ["i guess"], "negation": False},
        ],
        "levels": {1: ["offers"]},
        "negative": [{"signal": "guesses", "lower": 3}],
    }
    rubric = make_rubric(tmp_path, indicators)
    transcript = call(("agent", "I guess I can offer you a credit."), ("customer", "Ok."))

    assert grade_one(rubric, transcript).score == 0


def test_na_when_condition_signal_missing(tmp_path: Path) -> None:
    indicators = {
        "signals": [
            {
                "id": "objects",
                "label": "the customer objects",
                "role": "customer",
                "phrases": ["not interested"],
                "negation": False,
            },
            {"id": "answers", "phrases": ["what if"], "window": {"after": "objects"}},
        ],
        "levels": {4: ["answers"]},
        "na_unless": ["objects"],
    }
    rubric = make_rubric(tmp_path, indicators, na_allowed=True)
    calm = call(("agent", "Would you like it?"), ("customer", "Yes please."))
    objecting = call(("agent", "Would you like it?"), ("customer", "I'm not interested."))

    calm_grade = grade_one(rubric, calm)
    objecting_grade = grade_one(rubric, objecting)

    assert calm_grade.status == "na"
    assert calm_grade.score is None
    assert "the customer objects" in calm_grade.reasoning
    assert objecting_grade.status == "scored"
    assert objecting_grade.score == 0


def test_min_turns_needs_repeats(tmp_path: Path) -> None:
    indicators = {
        "signals": [{"id": "empathy", "phrases": ["i understand"], "min_turns": 2}],
        "levels": {4: ["empathy"]},
    }
    rubric = make_rubric(tmp_path, indicators)
    once = call(("agent", "I understand."), ("customer", "Ok."))
    twice = call(
        ("agent", "I understand."), ("customer", "Ok."), ("agent", "I understand, really.")
    )

    assert grade_one(rubric, once).score == 0
    assert grade_one(rubric, twice).score == 4


def test_regex_pattern_matches_folded_text(tmp_path: Path) -> None:
    indicators = {
        "signals": [{"id": "price", "patterns": [r"\b\d+ dollars a month\b"]}],
        "levels": {4: ["price"]},
    }
    rubric = make_rubric(tmp_path, indicators)
    transcript = call(("agent", "It's 45 Dollars a month."), ("customer", "Ok."))

    assert grade_one(rubric, transcript).score == 4


def test_long_turn_quotes_matching_sentence(tmp_path: Path) -> None:
    rubric = make_rubric(tmp_path, OFFER)
    filler = "We have looked at your account history in detail over the last few days. " * 3
    transcript = call(
        ("agent", f"{filler}Today I can offer you a better plan. Thanks."), ("customer", "Ok.")
    )

    grade = grade_one(rubric, transcript)

    assert grade.evidence[0].quote == "Today I can offer you a better plan."
    assert grade.evidence[0].quote in transcript.turns[0].text


def test_unknown_signal_reference_rejected(tmp_path: Path) -> None:
    indicators = {"signals": [{"id": "offers", "phrases": ["offer"]}], "levels": {4: ["offfers"]}}

    with pytest.raises(RubricError) as caught:
        make_rubric(tmp_path, indicators)

    assert "unknown signal 'offfers'" in str(caught.value)
    assert "known signals: offers" in str(caught.value)


def test_signal_without_phrases_rejected(tmp_path: Path) -> None:
    indicators = {"signals": [{"id": "offers"}], "levels": {4: ["offers"]}}

    with pytest.raises(RubricError) as caught:
        make_rubric(tmp_path, indicators)

    assert "needs at least one entry in 'phrases' or 'patterns'" in str(caught.value)


def test_window_after_loop_rejected(tmp_path: Path) -> None:
    indicators = {
        "signals": [
            {"id": "a", "phrases": ["alpha"], "window": {"after": "b"}},
            {"id": "b", "phrases": ["bravo"], "window": {"after": "a"}},
        ],
        "levels": {4: ["a"]},
    }

    with pytest.raises(RubricError) as caught:
        make_rubric(tmp_path, indicators)

    assert "window.after links form a loop" in str(caught.value)


def test_level_outside_scale_rejected_at_load(tmp_path: Path) -> None:
    indicators = {"signals": [{"id": "offers", "phrases": ["offer"]}], "levels": {5: ["offers"]}}

    with pytest.raises(RubricError) as caught:
        make_rubric(tmp_path, indicators)

    assert "indicators.levels[5]: indicator score 5 is outside the scale 0..4" in str(caught.value)


def test_missing_indicators_is_error_grade(tmp_path: Path) -> None:
    data = {
        "id": "bare",
        "version": "1",
        "sections": [
            {
                "id": "main",
                "name": "Main",
                "criteria": [
                    {
                        "id": "offer",
                        "name": "Offer",
                        "description": "Makes an offer.",
                        "scale": "binary",
                    }
                ],
            }
        ],
    }
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    scorecard = grade(call(("agent", "Hi."), ("customer", "Hi.")), load_rubric(path))

    assert scorecard.grades[0].status == "error"
    assert "has no phrase indicators" in (scorecard.grades[0].error or "")
    assert scorecard.total is None


def test_grade_uses_offline_engine_by_default(tmp_path: Path) -> None:
    rubric = make_rubric(tmp_path, OFFER)

    scorecard = grade(call(("agent", "I can offer you a deal."), ("customer", "Ok.")), rubric)

    assert scorecard.engine == "offline"
    assert scorecard.model is None
    assert scorecard.total == 100.0


def test_engine_compiles_rubric_once(tmp_path: Path) -> None:
    rubric = make_rubric(tmp_path, OFFER)
    engine = OfflineEngine()
    transcript = call(("agent", "I can offer you a deal."), ("customer", "Ok."))

    first = engine.grade_sync(transcript, rubric, rubric.criteria)
    second = engine.grade_sync(transcript, rubric, rubric.criteria)

    assert first == second
    assert list(engine._compiled) == [("test", "1")]


def test_phrases_method_offline_beside_llm(tmp_path: Path) -> None:
    from grading_responder import GradingResponder
    from openai_server import OpenAIServer

    data = {
        "id": "mixed",
        "version": "1",
        "sections": [
            {
                "id": "main",
                "name": "Main",
                "criteria": [
                    {
                        "id": "recording_disclosure",
                        "name": "Recording disclosure",
                        "description": "Says the call may be recorded.",
                        "scale": "binary",
                        "method": "phrases",
                        "indicators": {
                            "signals": [{"id": "discloses", "phrases": ["may be recorded"]}],
                            "levels": {"yes": ["discloses"]},
                        },
                    },
                    {
                        "id": "empathy",
                        "name": "Empathy",
                        "description": "Acknowledges the customer's concerns.",
                        "scale": {"min": 0, "max": 4},
                    },
                ],
            }
        ],
    }
    path = tmp_path / "mixed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    transcript = call(
        ("agent", "Hi, this call may be recorded for training."),
        ("customer", "Fine, but my bill went up again this month."),
    )
    responder = GradingResponder()

    with OpenAIServer(responder) as server:
        scorecard = grade(
            transcript,
            load_rubric(path),
            model="openai/test-model",
            api_base=server.base_url,
            api_key="sk-test",
            cache=False,
        )
        requests = server.chat_requests()

    disclosure = scorecard.grade("recording_disclosure")
    assert scorecard.engine == "llm"
    assert disclosure.engine == "offline"
    assert disclosure.score == 1
    assert disclosure.evidence[0].turn_index == 0
    assert scorecard.grade("empathy").engine == "llm"
    assert scorecard.grade("empathy").status == "scored"
    # Only the LLM criterion reaches the model.
    assert len(requests) == 1
    assert "Recording disclosure" not in json.dumps(requests[0].body)


def test_unknown_roles_are_error_grades(tmp_path: Path) -> None:
    rubric = make_rubric(tmp_path, OFFER)
    transcript = Transcript(
        id="whisper",
        turns=[
            Turn(speaker="SPEAKER_00", role="unknown", text="Hello, I can offer you a credit."),
            Turn(speaker="SPEAKER_01", role="unknown", text="No thanks."),
        ],
    )

    grade = grade_one(rubric, transcript)

    assert grade.status == "error"
    assert grade.error is not None
    assert "no turn has the role 'agent' or 'customer'" in grade.error
    assert "roles={" in grade.error


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(min_size=0, max_size=300), min_size=2, max_size=8),
    first_role=st.sampled_from(["agent", "customer"]),
)
def test_any_text_grades_within_scale(texts: list[str], first_role: str) -> None:
    rubric = load_rubric("winback")
    other = "customer" if first_role == "agent" else "agent"
    turns = [
        Turn(speaker=str(index % 2), role=first_role if index % 2 == 0 else other, text=text)  # type: ignore[arg-type]
        for index, text in enumerate(texts)
    ]
    engine = OfflineEngine()

    grades = engine.grade_sync(Transcript(id="h", turns=turns), rubric, rubric.criteria)

    for criterion, result in zip(rubric.criteria, grades, strict=True):
        assert result.status in ("scored", "na"), (criterion.id, result.error)
        if result.status == "scored":
            assert result.score in criterion.scale.values, criterion.id
        for evidence in result.evidence:
            assert evidence.turn_index is not None
            assert evidence.quote in turns[evidence.turn_index].text

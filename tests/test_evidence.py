"""Quote verification: folding, ellipses, negations, short quotes and locations."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from winback_grader import Transcript, Turn
from winback_grader.evidence import (
    _fold_ascii,
    _fold_unicode,
    evidence_for_turn,
    fold,
    locate,
    verify_quotes,
)


@pytest.fixture
def call() -> Transcript:
    return Transcript(
        id="call-1",
        turns=[
            Turn(
                speaker="spk_0",
                role="agent",
                text="Hi, this is Dana from Acme Telecom.",
                start=0.0,
                end=3.5,
            ),
            Turn(
                speaker="spk_1",
                role="customer",
                text="I don\u2019t want the \u201cpremium\u201d bundle.",
                start=4.0,
                end=7.0,
            ),
            Turn(
                speaker="spk_0",
                role="agent",
                text="I will not   raise your price\nthis year, and I can waive the fee.",
                start=8.0,
                end=12.0,
            ),
            Turn(
                speaker="spk_1",
                role="customer",
                text="Okay. Then I\u2019ll think about staying with you.",
                start=13.0,
                end=15.0,
            ),
            Turn(
                speaker="Agent Dana",
                role="unknown",
                text="\uff21\uff43\uff4d\uff45 thanks you for your time today.",
                start=None,
                end=None,
            ),
        ],
    )


def test_exact_quote_is_located(call: Transcript) -> None:
    evidence = locate("this is Dana from Acme", call, 0)

    assert evidence.verified is True
    assert evidence.turn_index == 0
    assert evidence.speaker == "agent"
    assert (evidence.start, evidence.end) == (0.0, 3.5)
    assert evidence.quote == "this is Dana from Acme"


def test_case_and_punctuation_fold(call: Transcript) -> None:
    evidence = locate("THIS IS DANA FROM ACME TELECOM.", call)

    assert evidence.verified is True
    assert evidence.quote == "this is Dana from Acme Telecom"


def test_straight_quote_matches_curly(call: Transcript) -> None:
    evidence = locate('I don\'t want the "premium" bundle', call)

    assert evidence.verified is True
    assert evidence.turn_index == 1
    assert evidence.quote == "I don\u2019t want the \u201cpremium\u201d bundle"


def test_whitespace_and_line_breaks_fold(call: Transcript) -> None:
    evidence = locate("I will not raise your price this year", call)

    assert evidence.verified is True
    assert evidence.turn_index == 2
    assert evidence.quote == "I will not   raise your price\nthis year"


def test_nfkc_folds_fullwidth_letters(call: Transcript) -> None:
    evidence = locate("Acme thanks you for your time", call)

    assert evidence.verified is True
    assert evidence.turn_index == 4
    assert evidence.speaker == "Agent Dana"
    assert evidence.start is None


def test_quote_dropping_not_is_rejected(call: Transcript) -> None:
    assert locate("I will raise your price this year", call).verified is False


def test_ellipsis_skipping_not_is_rejected(call: Transcript) -> None:
    assert locate("I will ... raise your price this year", call).verified is False


def test_ellipsis_pieces_in_order_are_verified(call: Transcript) -> None:
    evidence = locate("I will not raise your price... I can waive the fee", call)

    assert evidence.verified is True
    assert evidence.turn_index == 2
    assert evidence.quote == "I will not   raise your price\nthis year, and I can waive the fee"


def test_ellipsis_pieces_out_of_order_are_rejected(call: Transcript) -> None:
    assert locate("I can waive the fee ... I will not raise your price", call).verified is False


def test_ellipsis_across_adjacent_turns(call: Transcript) -> None:
    evidence = locate("I can waive the fee … Then I'll think about staying", call)

    assert evidence.verified is True
    assert evidence.turn_index == 2
    assert (evidence.start, evidence.end) == (8.0, 15.0)
    assert evidence.quote == "I can waive the fee ... Then I\u2019ll think about staying"


def test_ellipsis_across_distant_turns_rejected(call: Transcript) -> None:
    assert locate("this is Dana from Acme ... think about staying with you", call).verified is False


def test_short_quotes_are_not_evidence(call: Transcript) -> None:
    assert locate("Okay", call).verified is False
    assert locate("Dana from", call).verified is False
    assert locate("", call).verified is False


def test_partial_word_does_not_match(call: Transcript) -> None:
    assert locate("is Dana fro", call).verified is False


def test_made_up_quote_is_unverified(call: Transcript) -> None:
    evidence = locate("we can offer you fifty percent off", call, 2)

    assert evidence.verified is False
    assert evidence.turn_index is None
    assert evidence.quote == "we can offer you fifty percent off"


def test_wrong_cited_turn_still_found(call: Transcript) -> None:
    evidence = locate("think about staying with you", call, 0)

    assert evidence.verified is True
    assert evidence.turn_index == 3


def test_verify_quotes_keeps_order(call: Transcript) -> None:
    results = verify_quotes([("made up words entirely here", 1), ("Hi, this is Dana", 0)], call)

    assert [e.verified for e in results] == [False, True]


def test_evidence_for_turn_finds_text(call: Transcript) -> None:
    evidence = evidence_for_turn(call, 2, "WAIVE THE FEE")

    assert evidence.verified is True
    assert evidence.quote == "waive the fee"
    assert evidence.turn_index == 2
    assert evidence.speaker == "agent"


def test_evidence_for_turn_whole_turn(call: Transcript) -> None:
    evidence = evidence_for_turn(call, 3)

    assert evidence.quote == call.turns[3].text
    assert evidence.verified is True


def test_evidence_for_turn_absent_text(call: Transcript) -> None:
    assert evidence_for_turn(call, 0, "not in this turn").verified is False


def test_fold_normalises() -> None:
    assert fold("  \u201cHello\u201d   WORLD\u2019s\n") == '"hello" world\'s'


@given(st.text(alphabet=string.printable + "`\x1c\x1f", max_size=60))
def test_ascii_fold_matches_unicode_fold(text: str) -> None:
    # The ASCII fast path must give the same text and the same source positions.
    assert _fold_ascii(text) == _fold_unicode(text)


@pytest.fixture
def chinese_call() -> Transcript:
    return Transcript(
        id="call-zh",
        turns=[
            Turn(
                speaker="spk_0", role="agent", text="您好，我是Acme电信的小王，想和您聊聊您的账户。"
            ),
            Turn(speaker="spk_1", role="customer", text="好的，请说。"),
        ],
    )


@pytest.mark.parametrize("quote", ["我是Acme电信的小王", "想和您聊聊您的账户", "Acme电信的小王"])
def test_chinese_quote_is_verified(chinese_call: Transcript, quote: str) -> None:
    # Chinese has no spaces: each character counts as a word, and a quote may start mid-run.
    found = locate(quote, chinese_call, 0)
    assert found.verified is True
    assert found.quote == quote
    assert found.turn_index == 0


def test_two_chinese_characters_are_too_short(chinese_call: Transcript) -> None:
    assert locate("电信", chinese_call, 0).verified is False

"""The plain-text reader: labels, time prefixes, continuation lines."""

from __future__ import annotations

import pytest

from winback_grader import TranscriptError, load_transcript


def test_bracketed_clock_sets_start() -> None:
    transcript = load_transcript(text="[00:01:23] Agent: Hello.\n[01:02:03.5] Customer: Hi.\n")
    assert [turn.start for turn in transcript.turns] == [83.0, 3723.5]
    assert [turn.end for turn in transcript.turns] == [None, None]


def test_bare_clock_sets_start() -> None:
    transcript = load_transcript(text="00:00:05 Agent: Hello.\n00:00:09 Customer: Hi.\n")
    assert [turn.start for turn in transcript.turns] == [5.0, 9.0]
    assert [turn.text for turn in transcript.turns] == ["Hello.", "Hi."]


def test_bracketed_range_sets_start_and_end() -> None:
    transcript = load_transcript(text="[0.00-5.52] speaker 0: Hello.\n[5.60-8.00] speaker 1: Hi.\n")
    assert [(turn.speaker, turn.start, turn.end) for turn in transcript.turns] == [
        ("speaker 0", 0.0, 5.52),
        ("speaker 1", 5.6, 8.0),
    ]


def test_numbered_speakers_have_unknown_roles() -> None:
    transcript = load_transcript(text="Speaker 1: Hello.\nSpeaker 2: Hi there.\n")
    assert [turn.speaker for turn in transcript.turns] == ["Speaker 1", "Speaker 2"]
    assert [turn.role for turn in transcript.turns] == ["unknown", "unknown"]


def test_numbered_speakers_roles_inferred() -> None:
    text = "Speaker 1: Thanks for calling Acme, this call may be recorded.\nSpeaker 2: Hi.\n"
    transcript = load_transcript(text=text)
    assert [turn.role for turn in transcript.turns] == ["agent", "customer"]
    assert transcript.metadata["role_source"] == "inferred"


@pytest.mark.parametrize(
    ("agent_label", "customer_label"),
    [("Rep", "Caller"), ("Agent Dana", "Customer (Beth)"), ("Representative", "Client")],
)
def test_role_words_in_labels(agent_label: str, customer_label: str) -> None:
    transcript = load_transcript(text=f"{agent_label}: Hello.\n{customer_label}: Hi.\n")
    assert [turn.role for turn in transcript.turns] == ["agent", "customer"]
    assert transcript.metadata["role_source"] == "labels"


def test_continuation_lines_join_turn() -> None:
    text = (
        "Agent: Thanks for holding.\nI found your account.\n\n   It is active.\nCustomer: Good.\n"
    )
    transcript = load_transcript(text=text)
    assert transcript.turns[0].text == "Thanks for holding. I found your account. It is active."
    assert len(transcript.turns) == 2


def test_colons_inside_text_are_not_labels() -> None:
    text = (
        "Agent: See the page.\n"
        "https://example.com/offer: it lists the price\n"
        "10:30 works for the call back\n"
        "The offer that I mentioned before: half price\n"
        "Customer: Fine.\n"
    )
    transcript = load_transcript(text=text)
    assert len(transcript.turns) == 2
    assert transcript.turns[0].text == (
        "See the page. https://example.com/offer: it lists the price 10:30 works for the "
        "call back The offer that I mentioned before: half price"
    )


def test_label_with_empty_text_takes_next_line() -> None:
    transcript = load_transcript(text="Agent:\nHello there.\nCustomer: Hi.\n")
    assert [turn.text for turn in transcript.turns] == ["Hello there.", "Hi."]


def test_text_before_first_label_names_line() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text="\n\nhello\nAgent: hi\n", format="text")
    assert str(error.value).startswith("<text>: line 3: text before the first speaker label")

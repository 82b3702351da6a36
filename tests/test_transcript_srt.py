"""The SRT reader: numbered cues, blank cues, formatting tags."""

from __future__ import annotations

import pytest

from winback_grader import TranscriptError, load_transcript


def test_blank_cue_in_middle_keeps_later_cues() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nAgent: Hello.\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nCustomer: Hi.\n\n"
        "4\n00:00:04,000 --> 00:00:05,000\nAgent: How can I help?\n"
    )
    transcript = load_transcript(text=srt)
    assert [(turn.speaker, turn.text, turn.start) for turn in transcript.turns] == [
        ("Agent", "Hello.", 1.0),
        ("Customer", "Hi.", 3.0),
        ("Agent", "How can I help?", 4.0),
    ]
    assert transcript.metadata["warnings"] == ["line 6: cue has no text; skipped"]


def test_multiline_cue_and_tags() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:03,500\nAgent: <i>Half price</i>\n<b>for three months.</b>\n\n"
        '2\n00:00:04,000 --> 00:00:05,000\nCustomer: <font color="red">No.</font>\n'
    )
    transcript = load_transcript(text=srt)
    assert [turn.text for turn in transcript.turns] == ["Half price for three months.", "No."]
    assert transcript.turns[0].end == 3.5


def test_unlabelled_cues_are_one_speaker() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n2\n00:00:02,000 --> 00:00:03,000\nHi.\n"
    transcript = load_transcript(text=srt)
    assert [(turn.speaker, turn.text) for turn in transcript.turns] == [("unknown", "Hello. Hi.")]
    assert transcript.ungradable_reason() is not None


def test_no_cue_is_rejected() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text="just words\n", format="srt")
    assert str(error.value) == (
        "<text>: no SRT cue found; expected a timing line such as "
        "'00:00:01,000 --> 00:00:02,000' (read as srt)"
    )


def test_invalid_time_names_line() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n2\n00:00:0a,000 --> 00:00:03,000\nHi.\n"
    with pytest.raises(TranscriptError, match=r"^<text>: line 6: invalid cue time '00:00:0a,000'"):
        load_transcript(text=srt, format="srt")

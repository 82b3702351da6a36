"""The CSV reader: loose header names, delimiters, times, row errors."""

from __future__ import annotations

import pytest

from winback_grader import TranscriptError, load_transcript


def _rows(csv_text: str) -> list[tuple[str, str, float | None, float | None]]:
    transcript = load_transcript(text=csv_text, format="csv")
    return [(turn.speaker, turn.text, turn.start, turn.end) for turn in transcript.turns]


@pytest.mark.parametrize(
    "header",
    [
        "speaker,text,start,end",
        "Speaker Label,Utterance,Start Time,End Time",
        "ROLE,message,begin,stop",
        "participant_id,Transcript,start_sec,end_sec",
    ],
)
def test_header_names_match_loosely(header: str) -> None:
    csv_text = f"{header}\nAgent,Hello.,0,1.5\nCustomer,Hi.,2,3\n"
    assert _rows(csv_text) == [("Agent", "Hello.", 0.0, 1.5), ("Customer", "Hi.", 2.0, 3.0)]


def test_tab_and_semicolon_delimiters() -> None:
    assert _rows("speaker\ttext\nAgent\tHello, there.\nCustomer\tHi.\n")[0] == (
        "Agent",
        "Hello, there.",
        None,
        None,
    )
    assert _rows("speaker;text;start\nAgent;Hello, there.;00:00:05\nCustomer;Hi.;7\n")[0] == (
        "Agent",
        "Hello, there.",
        5.0,
        None,
    )


def test_quoted_cells_and_blank_rows() -> None:
    csv_text = 'speaker,text\nAgent,"Hello, and\nwelcome."\n,,\n\nCustomer,"She said ""cancel"""\n'
    assert _rows(csv_text) == [
        ("Agent", "Hello, and welcome.", None, None),
        ("Customer", 'She said "cancel"', None, None),
    ]


def test_missing_column_lists_accepted_names() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text="who,when\nAgent,now\n", format="csv")
    message = str(error.value)
    assert message.startswith("<text>: line 1: the header ['who', 'when'] has no text column")
    assert "accepted names are text: text, utterance, transcript" in message


def test_bad_time_names_line() -> None:
    csv_text = "speaker,text,start\nAgent,Hello.,0\nCustomer,Hi.,soon\n"
    with pytest.raises(TranscriptError) as error:
        load_transcript(text=csv_text, format="csv")
    assert str(error.value) == (
        "<text>: line 3: start 'soon' is not a time; "
        "write seconds (12.5) or hh:mm:ss.mmm (read as csv)"
    )


def test_infinite_time_is_rejected() -> None:
    with pytest.raises(
        TranscriptError, match="line 2: end 'inf' is not a finite number of seconds"
    ):
        load_transcript(text="speaker,text,end\nAgent,Hello.,inf\n", format="csv")


def test_csv_detected_by_content() -> None:
    transcript = load_transcript(text="speaker,text\nAgent,Hello.\nCustomer,Hi.\n")
    assert transcript.metadata["format"] == "csv"

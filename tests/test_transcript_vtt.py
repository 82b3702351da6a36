"""The WebVTT reader: voice tags, cue tags, identifiers, NOTE and STYLE blocks, odd times."""

from __future__ import annotations

import logging

import pytest

from winback_grader import TranscriptError, load_transcript


def _turns(vtt: str) -> list[tuple[str, str, float | None, float | None]]:
    transcript = load_transcript(text=vtt)
    return [(turn.speaker, turn.text, turn.start, turn.end) for turn in transcript.turns]


def test_voice_tag_on_cue_line() -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:02.000\n<v Agent Dana>Hello, Acme retention.</v>\n\n"
        "00:00:02.500 --> 00:00:04.000\n<v.loud Beth>I want to cancel.\n"
    )
    assert _turns(vtt) == [
        ("Agent Dana", "Hello, Acme retention.", 1.0, 2.0),
        ("Beth", "I want to cancel.", 2.5, 4.0),
    ]


def test_voice_tag_on_own_line() -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\n<v Agent>\nHello,\nhow can I help?\n</v>\n\n"
        "00:00:03.000 --> 00:00:04.000\n<v Customer>\nCancel, please.\n"
    )
    assert _turns(vtt) == [
        ("Agent", "Hello, how can I help?", 1.0, 3.0),
        ("Customer", "Cancel, please.", 3.0, 4.0),
    ]


def test_two_voices_in_one_cue() -> None:
    vtt = (
        "WEBVTT\n\n00:01.000 --> 00:03.000\n"
        "<v Agent>Anything else?</v>\n<v Customer>No, thanks.</v>\n"
    )
    assert _turns(vtt) == [
        ("Agent", "Anything else?", 1.0, 3.0),
        ("Customer", "No, thanks.", 1.0, 3.0),
    ]


def test_other_cue_tags_are_stripped() -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.000\n"
        "<v Agent><i>Half</i> price <00:00:02.000><c.yellow>for three months</c> &amp; more</v>\n"
        "\n00:00:03.000 --> 00:00:04.000\n<v Customer>&lt;sigh&gt; fine\n"
    )
    assert _turns(vtt)[0][1] == "Half price for three months & more"
    assert _turns(vtt)[1][1] == "<sigh> fine"


def test_identifiers_notes_and_styles_are_skipped() -> None:
    vtt = (
        "WEBVTT - call 17\nKind: captions\n\n"
        "STYLE\n::cue { color: yellow }\n\n"
        "NOTE exported by the dialer\nsecond note line\n\n"
        "intro-1\n00:00:01.000 --> 00:00:02.000\n<v Agent>Hello.\n\n"
        "NOTE\nmiddle note\n\n"
        "2\n00:00:02.000 --> 00:00:03.000 align:start position:10%\n<v Customer>Hi.\n"
    )
    assert _turns(vtt) == [("Agent", "Hello.", 1.0, 2.0), ("Customer", "Hi.", 2.0, 3.0)]


def test_times_without_hours_or_padding() -> None:
    vtt = (
        "WEBVTT\n\n"
        "01:11.913 --> 01:12.500\n<v Agent>Hello.\n\n"
        "0:0:5.2 --> 0:0:7.25\n<v Customer>Hi.\n\n"
        "1:02:03.4 --> 1:02:04\n<v Agent>Bye.\n"
    )
    assert [(start, end) for _, _, start, end in _turns(vtt)] == [
        (71.913, 72.5),
        (5.2, 7.25),
        (3723.4, 3724.0),
    ]


def test_empty_cue_skipped_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:01.000 --> 00:02.000\n<v Agent>Hello.\n\n"
        "00:02.000 --> 00:03.000\n\n"
        "00:03.000 --> 00:04.000\n<v Customer>Hi.\n\n"
        "00:04.000 --> 00:05.000\n<v Agent>Bye.\n"
    )
    with caplog.at_level(logging.WARNING, logger="winback_grader"):
        transcript = load_transcript(text=vtt)
    assert [turn.text for turn in transcript.turns] == ["Hello.", "Hi.", "Bye."]
    assert transcript.metadata["warnings"] == ["line 6: cue has no text; skipped"]
    assert "<text>: line 6: cue has no text; skipped" in caplog.messages


def test_cue_without_blank_line_before_next() -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:01.000 --> 00:02.000\n<v Agent>Hello.\n"
        "00:02.000 --> 00:03.000\n<v Customer>Hi.\n"
    )
    assert [text for _, text, _, _ in _turns(vtt)] == ["Hello.", "Hi."]


def test_zoom_style_label_in_cue_text() -> None:
    vtt = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nDana Lee: Thanks for calling Acme.\n\n"
        "2\n00:00:02.000 --> 00:00:03.000\nBeth Idle: I want to cancel.\n"
    )
    transcript = load_transcript(text=vtt)
    assert [turn.speaker for turn in transcript.turns] == ["Dana Lee", "Beth Idle"]
    assert [turn.role for turn in transcript.turns] == ["agent", "customer"]


def test_missing_header_is_rejected() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text="00:01.000 --> 00:02.000\nHello.\n", format="vtt")
    assert (
        str(error.value)
        == "<text>: line 1: missing the 'WEBVTT' header on the first line (read as vtt)"
    )


def test_invalid_cue_time_names_line() -> None:
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nHello.\n\n00:02.000 --> 00:0x.000\nHi.\n"
    with pytest.raises(TranscriptError) as error:
        load_transcript(text=vtt)
    assert str(error.value).startswith("<text>: line 6: invalid cue time '00:0x.000'")

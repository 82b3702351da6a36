"""The Deepgram reader: utterances, words with speakers, channels, an empty result."""

from __future__ import annotations

import json
from typing import Any

import pytest

from winback_grader import TranscriptError, load_transcript


def _word(word: str, start: float, speaker: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "word": word.lower().strip(".?"),
        "punctuated_word": word,
        "start": start,
        "end": round(start + 0.3, 3),
        "confidence": 0.99,
    }
    if speaker is not None:
        entry["speaker"] = speaker
    return entry


def _response(
    channels: list[list[dict[str, Any]]], utterances: list[dict[str, Any]] | None = None
) -> str:
    results: dict[str, Any] = {
        "channels": [
            {"alternatives": [{"transcript": "...", "words": words}]} for words in channels
        ]
    }
    if utterances is not None:
        results["utterances"] = utterances
    return json.dumps(
        {
            "metadata": {"request_id": "r-9", "duration": 3.5, "channels": len(channels)},
            "results": results,
        }
    )


def test_utterances_give_turns() -> None:
    utterances = [
        {
            "start": 0.0,
            "end": 1.0,
            "transcript": "Thank you for calling.",
            "speaker": 0,
            "channel": 0,
        },
        {"start": 1.2, "end": 2.0, "transcript": "Cancel, please.", "speaker": 1, "channel": 0},
    ]
    transcript = load_transcript(text=_response([[]], utterances))
    assert transcript.metadata["format"] == "deepgram"
    assert [(t.speaker, t.role, t.text) for t in transcript.turns] == [
        ("spk_0", "agent", "Thank you for calling."),
        ("spk_1", "customer", "Cancel, please."),
    ]
    assert transcript.metadata["request_id"] == "r-9"


def test_words_with_speakers_without_utterances() -> None:
    words = [
        _word("Thanks", 0.0, 0),
        _word("for", 0.3, 0),
        _word("calling.", 0.6, 0),
        _word("Cancel", 1.2, 1),
        _word("it.", 1.5, 1),
        _word("Sure.", 2.0, 0),
    ]
    transcript = load_transcript(text=_response([words]))
    assert [(t.speaker, t.text, t.start, t.end) for t in transcript.turns] == [
        ("spk_0", "Thanks for calling.", 0.0, 0.9),
        ("spk_1", "Cancel it.", 1.2, 1.8),
        ("spk_0", "Sure.", 2.0, 2.3),
    ]


def test_channels_without_diarization_interleave() -> None:
    left = [_word("Thanks", 0.0), _word("for", 0.3), _word("calling.", 0.6), _word("Sure.", 2.0)]
    right = [_word("Cancel", 1.2), _word("it.", 1.5)]
    transcript = load_transcript(text=_response([left, right]))
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("ch_0", "Thanks for calling."),
        ("ch_1", "Cancel it."),
        ("ch_0", "Sure."),
    ]


def test_empty_result_has_no_speech() -> None:
    empty = json.dumps(
        {
            "metadata": {"duration": 2.0},
            "results": {"channels": [{"alternatives": [{"transcript": "", "words": []}]}]},
        }
    )
    with pytest.raises(TranscriptError) as error:
        load_transcript(text=empty)
    assert str(error.value) == "<text>: no speech found: every turn in the deepgram input is empty"


def test_wrong_shape_names_field() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text='{"results": {"channels": [{"alternatives": "x"}]}}')
    assert str(error.value).startswith(
        "<text>: not valid Deepgram JSON: results.channels.0.alternatives: "
        "Input should be a valid list"
    )


def test_diarized_channels_name_speakers_per_channel() -> None:
    left = [_word("Thanks", 0.0, 0), _word("for", 0.3, 0), _word("calling.", 0.6, 0)]
    right = [_word("Cancel", 1.2, 0), _word("it.", 1.5, 0)]
    transcript = load_transcript(text=_response([left, right]))
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("ch_0_spk_0", "Thanks for calling."),
        ("ch_1_spk_0", "Cancel it."),
    ]

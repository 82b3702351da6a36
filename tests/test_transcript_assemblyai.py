"""The AssemblyAI reader: utterances, words without utterances, text only."""

from __future__ import annotations

import json
from typing import Any

from winback_grader import load_transcript


def _transcript(**fields: Any) -> str:
    base: dict[str, Any] = {
        "id": "t-5",
        "status": "completed",
        "audio_url": "https://example.invalid/a.mp3",
        "audio_duration": 4,
        "language_code": "en_us",
        "text": "...",
    }
    return json.dumps({**base, **fields})


def test_utterances_give_turns_in_seconds() -> None:
    utterances = [
        {
            "speaker": "A",
            "start": 250,
            "end": 1800,
            "text": "Thanks for calling Acme.",
            "confidence": 0.9,
        },
        {
            "speaker": "B",
            "start": 2000,
            "end": 3500,
            "text": "I want to cancel.",
            "confidence": 0.9,
        },
    ]
    transcript = load_transcript(text=_transcript(utterances=utterances, words=[]))
    assert transcript.metadata["format"] == "assemblyai"
    assert [(t.speaker, t.role, t.start, t.end) for t in transcript.turns] == [
        ("A", "agent", 0.25, 1.8),
        ("B", "customer", 2.0, 3.5),
    ]
    assert transcript.metadata["transcript_id"] == "t-5"
    assert transcript.metadata["duration"] == 4


def test_words_when_utterances_are_null() -> None:
    words = [
        {"text": "Hello.", "start": 0, "end": 400, "speaker": "A"},
        {"text": "Hi", "start": 500, "end": 700, "speaker": "B"},
        {"text": "there.", "start": 700, "end": 900, "speaker": "B"},
    ]
    transcript = load_transcript(text=_transcript(utterances=None, words=words))
    assert [(t.speaker, t.text, t.start, t.end) for t in transcript.turns] == [
        ("A", "Hello.", 0.0, 0.4),
        ("B", "Hi there.", 0.5, 0.9),
    ]


def test_text_only_is_one_unknown_turn() -> None:
    transcript = load_transcript(text=_transcript(utterances=None, words=None, text="Hello there."))
    assert [(t.speaker, t.text, t.start) for t in transcript.turns] == [
        ("unknown", "Hello there.", None)
    ]

"""The Whisper reader: verbose_json segments, plain json text, WhisperX speakers."""

from __future__ import annotations

import json

from winback_grader import load_transcript

SEGMENTS = [
    {"id": 0, "start": 0.0, "end": 2.5, "text": " Thanks for calling Acme."},
    {"id": 1, "start": 2.5, "end": 4.0, "text": " I want to cancel."},
]


def test_segments_without_speakers_are_one_turn() -> None:
    document = {
        "task": "transcribe",
        "language": "english",
        "duration": 4.2,
        "text": "...",
        "segments": SEGMENTS,
    }
    transcript = load_transcript(text=json.dumps(document))
    assert transcript.metadata["format"] == "whisper"
    assert [(t.speaker, t.role, t.text, t.start, t.end) for t in transcript.turns] == [
        ("unknown", "unknown", "Thanks for calling Acme. I want to cancel.", 0.0, 4.0)
    ]
    assert transcript.metadata["language"] == "english"
    assert transcript.metadata["duration"] == 4.2
    assert transcript.ungradable_reason() is not None


def test_unknown_speaker_can_be_mapped() -> None:
    document = {"text": "...", "segments": SEGMENTS}
    transcript = load_transcript(text=json.dumps(document), roles={"unknown": "agent"})
    assert transcript.turns[0].role == "agent"
    assert transcript.metadata["role_source"] == "mapping"


def test_segment_speakers_are_kept() -> None:
    segments = [dict(SEGMENTS[0], speaker="SPEAKER_00"), dict(SEGMENTS[1], speaker="SPEAKER_01")]
    transcript = load_transcript(text=json.dumps({"text": "...", "segments": segments}))
    assert [(t.speaker, t.role) for t in transcript.turns] == [
        ("SPEAKER_00", "agent"),
        ("SPEAKER_01", "customer"),
    ]


def test_plain_json_text_is_one_turn() -> None:
    transcript = load_transcript(text=json.dumps({"text": "Hello there, how can I help?"}))
    assert transcript.metadata["format"] == "whisper"
    assert [(t.text, t.start) for t in transcript.turns] == [("Hello there, how can I help?", None)]


def test_metadata_object_is_read() -> None:
    document = {
        "text": "x",
        "segments": SEGMENTS,
        "metadata": {"call_id": "rec-9", "audio": "rec-9.wav"},
    }
    transcript = load_transcript(text=json.dumps(document))
    assert transcript.id == "rec-9"
    assert transcript.metadata["audio"] == "rec-9.wav"

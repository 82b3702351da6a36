"""The Amazon Transcribe reader: speaker labels, channel labels, neither, Call Analytics, PCA."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from winback_grader import load_transcript


def _item(
    content: str, start: float | None = None, end: float | None = None, **extra: str
) -> dict[str, Any]:
    if start is None:
        return {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": content}]}
    return {
        "type": "pronunciation",
        "start_time": str(start),
        "end_time": str(end),
        "alternatives": [{"confidence": "0.99", "content": content}],
        **extra,
    }


ITEMS = [
    _item("Thanks", 0.1, 0.4),
    _item("for", 0.4, 0.6),
    _item("calling", 0.6, 1.0),
    _item("."),
    _item("Cancel", 1.5, 1.9),
    _item("it", 1.9, 2.0),
    _item("."),
    _item("Okay", 2.4, 2.8),
    _item("."),
]


def _job(results: dict[str, Any]) -> str:
    return json.dumps(
        {"jobName": "job-1", "accountId": "XXXX", "status": "COMPLETED", "results": results}
    )


def test_speaker_labels_segments() -> None:
    segments = [
        {
            "speaker_label": "spk_0",
            "start_time": "0.1",
            "end_time": "1.0",
            "items": [
                {"speaker_label": "spk_0", "start_time": s, "end_time": "0"}
                for s in ("0.1", "0.4", "0.6")
            ],
        },
        {
            "speaker_label": "spk_1",
            "start_time": "1.5",
            "end_time": "2.0",
            "items": [
                {"speaker_label": "spk_1", "start_time": s, "end_time": "0"} for s in ("1.5", "1.9")
            ],
        },
        {
            "speaker_label": "spk_0",
            "start_time": "2.4",
            "end_time": "2.8",
            "items": [{"speaker_label": "spk_0", "start_time": "2.4", "end_time": "2.8"}],
        },
    ]
    document = _job(
        {
            "transcripts": [{"transcript": "..."}],
            "items": ITEMS,
            "speaker_labels": {"speakers": 2, "segments": segments},
        }
    )
    transcript = load_transcript(text=document)
    assert transcript.metadata["format"] == "aws"
    assert [(t.speaker, t.role, t.text, t.start, t.end) for t in transcript.turns] == [
        ("spk_0", "agent", "Thanks for calling.", 0.1, 1.0),
        ("spk_1", "customer", "Cancel it.", 1.5, 2.0),
        ("spk_0", "agent", "Okay.", 2.4, 2.8),
    ]
    assert transcript.metadata["job_name"] == "job-1"


def test_channel_labels_interleave_by_time() -> None:
    channels = [
        {"channel_label": "ch_0", "items": [*ITEMS[:4], *ITEMS[7:]]},
        {"channel_label": "ch_1", "items": ITEMS[4:7]},
    ]
    document = _job(
        {
            "transcripts": [{"transcript": "..."}],
            "items": ITEMS,
            "channel_labels": {"channels": channels, "number_of_channels": 2},
        }
    )
    transcript = load_transcript(text=document)
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("ch_0", "Thanks for calling."),
        ("ch_1", "Cancel it."),
        ("ch_0", "Okay."),
    ]


def test_no_labels_is_one_speaker_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="winback_grader"):
        transcript = load_transcript(
            text=_job({"transcripts": [{"transcript": "..."}], "items": ITEMS})
        )
    assert [(t.speaker, t.text) for t in transcript.turns] == [
        ("unknown", "Thanks for calling. Cancel it. Okay.")
    ]
    warning = "the job has neither speaker_labels nor channel_labels, so all speech is one speaker"
    assert transcript.metadata["warnings"] == [warning]
    assert f"<text>: {warning}" in caplog.messages


def test_call_analytics_participant_roles() -> None:
    document = {
        "JobName": "ca-1",
        "JobStatus": "COMPLETED",
        "Participants": [{"ParticipantRole": "AGENT"}, {"ParticipantRole": "CUSTOMER"}],
        "Transcript": [
            {
                "ParticipantRole": "CUSTOMER",
                "Content": "Hi, I'm calling to cancel.",
                "BeginOffsetMillis": 0,
                "EndOffsetMillis": 1800,
            },
            {
                "ParticipantRole": "AGENT",
                "Content": "Sorry to hear that.",
                "BeginOffsetMillis": 2000,
                "EndOffsetMillis": 3100,
            },
        ],
    }
    transcript = load_transcript(text=json.dumps(document))
    assert [(t.speaker, t.role, t.start, t.end) for t in transcript.turns] == [
        ("CUSTOMER", "customer", 0.0, 1.8),
        ("AGENT", "agent", 2.0, 3.1),
    ]
    assert transcript.metadata["role_source"] == "labels"


def test_pca_speaker_labels_and_metadata() -> None:
    document = {
        "ConversationAnalytics": {
            "GUID": "g-1",
            "Agent": "None",
            "ConversationTime": "2021-11-25 13:35:14",
            "Duration": "12.5",
            "LanguageCode": "en-US",
            "SpeakerLabels": [
                {"Speaker": "spk_0", "DisplayText": "Agent"},
                {"Speaker": "spk_1", "DisplayText": "Customer"},
            ],
        },
        "SpeechSegments": [
            {
                "SegmentStartTime": 0.1,
                "SegmentEndTime": 2.0,
                "SegmentSpeaker": "spk_0",
                "OriginalText": "Hello.",
                "DisplayText": "Hello.",
            },
            {
                "SegmentStartTime": 2.1,
                "SegmentEndTime": 3.0,
                "SegmentSpeaker": "spk_1",
                "OriginalText": "Hi.",
                "DisplayText": "Hi.",
            },
        ],
    }
    transcript = load_transcript(text=json.dumps(document))
    assert [(t.speaker, t.role) for t in transcript.turns] == [
        ("spk_0", "agent"),
        ("spk_1", "customer"),
    ]
    assert transcript.id == "g-1"
    assert "agent_id" not in transcript.metadata  # PCA writes "None" when it has no agent
    assert transcript.metadata["started_at"] == "2021-11-25 13:35:14"
    assert transcript.metadata["duration"] == 12.5

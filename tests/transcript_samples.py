"""One small two-speaker call per transcript format, for the reader tests.

Every sample contains the same four fragments: the agent's greeting in two fragments (which
merge into one turn), then the customer, then the agent again.
"""

from __future__ import annotations

import json

AGENT_GREETING = "Thank you for calling Acme. How can I help you today?"
CUSTOMER_REPLY = "I want to cancel my plan."
AGENT_OFFER = "I can offer you three months at half price."

EXPECTED_TURNS = [
    ("agent", AGENT_GREETING, 0.0, 4.0),
    ("customer", CUSTOMER_REPLY, 4.5, 6.0),
    ("agent", AGENT_OFFER, 6.5, 9.0),
]
"""(role, text, start, end) of each turn after merging."""

EXPECTED_TEXT_TURNS = [(role, text, start, None) for role, text, start, _ in EXPECTED_TURNS]
"""Plain text gives start times only."""

TEXT = """\
[00:00:00] Agent: Thank you for calling Acme.
[00:00:02] Agent: How can I help you today?
[00:00:04.5] Customer: I want to cancel my plan.
[00:00:06.5] Agent: I can offer you three months
at half price.
"""

JSON_TURNS = json.dumps(
    {
        "turns": [
            {"speaker": "Agent", "text": "Thank you for calling Acme.", "start": 0, "end": 2},
            {"speaker": "Agent", "text": "How can I help you today?", "start": 2, "end": 4},
            {"speaker": "Customer", "text": CUSTOMER_REPLY, "start": 4.5, "end": 6},
            {"speaker": "Agent", "text": AGENT_OFFER, "start": 6.5, "end": 9},
        ],
        "metadata": {"call_id": "c-1", "agent_id": "a-7"},
    }
)

VTT = """\
WEBVTT

1
00:00:00.000 --> 00:00:02.000
<v Agent>Thank you for calling Acme.</v>

2
00:00:02.000 --> 00:00:04.000
<v Agent>How can I help you today?</v>

3
00:00:04.500 --> 00:00:06.000
<v Customer>I want to cancel my plan.</v>

4
00:00:06.500 --> 00:00:09.000
<v Agent>I can offer you three months at half price.</v>
"""

SRT = """\
1
00:00:00,000 --> 00:00:02,000
Agent: Thank you for calling Acme.

2
00:00:02,000 --> 00:00:04,000
Agent: How can I help you today?

3
00:00:04,500 --> 00:00:06,000
Customer: I want to cancel my plan.

4
00:00:06,500 --> 00:00:09,000
Agent: I can offer you three months at half price.
"""

CSV = """\
Speaker,Text,Start Time,End Time
Agent,Thank you for calling Acme.,0,2
Agent,How can I help you today?,2,4
Customer,I want to cancel my plan.,4.5,6
Agent,"I can offer you three months at half price.",6.5,9
"""

WHISPER = json.dumps(
    {
        "task": "transcribe",
        "language": "english",
        "duration": 9.0,
        "text": " ".join(t[1] for t in EXPECTED_TURNS),
        "segments": [
            {
                "id": 0,
                "start": 0.0,
                "end": 2.0,
                "text": " Thank you for calling Acme.",
                "speaker": "A",
            },
            {
                "id": 1,
                "start": 2.0,
                "end": 4.0,
                "text": " How can I help you today?",
                "speaker": "A",
            },
            {
                "id": 2,
                "start": 4.5,
                "end": 6.0,
                "text": " I want to cancel my plan.",
                "speaker": "B",
            },
            {"id": 3, "start": 6.5, "end": 9.0, "text": f" {AGENT_OFFER}", "speaker": "A"},
        ],
    }
)


def _aws_items(words: list[tuple[str, float, float, str]]) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for content, start, end, speaker in words:
        kind = "punctuation" if content in ".?," else "pronunciation"
        item: dict[str, object] = {
            "type": kind,
            "alternatives": [{"confidence": "1.0", "content": content}],
        }
        if kind == "pronunciation":
            item.update(start_time=str(start), end_time=str(end), speaker_label=speaker)
        items.append(item)
    return items


def _words(
    text: str, start: float, end: float, speaker: str
) -> list[tuple[str, float, float, str]]:
    """Split text into word and punctuation tokens, the words spread evenly from start to end."""
    words = text.split()
    step = (end - start) / len(words)
    tokens: list[tuple[str, float, float, str]] = []
    for i, word in enumerate(words):
        word_start, word_end = round(start + i * step, 3), round(start + (i + 1) * step, 3)
        if word[-1] in ".?,":
            tokens.append((word[:-1], word_start, word_end, speaker))
            tokens.append((word[-1], word_start, word_end, speaker))
        else:
            tokens.append((word, word_start, word_end, speaker))
    return tokens


_AWS_WORDS = (
    _words("Thank you for calling Acme.", 0.0, 2.0, "spk_0")
    + _words("How can I help you today?", 2.0, 4.0, "spk_0")
    + _words(CUSTOMER_REPLY, 4.5, 6.0, "spk_1")
    + _words(AGENT_OFFER, 6.5, 9.0, "spk_0")
)

AWS = json.dumps(
    {
        "jobName": "call-7",
        "accountId": "XXXXXXXXXXXX",
        "status": "COMPLETED",
        "results": {
            "transcripts": [{"transcript": " ".join(t[1] for t in EXPECTED_TURNS)}],
            "items": _aws_items(_AWS_WORDS),
        },
    }
)

DEEPGRAM = json.dumps(
    {
        "metadata": {"request_id": "r-1", "duration": 9.2, "channels": 1},
        "results": {
            "channels": [{"alternatives": [{"transcript": "...", "words": []}]}],
            "utterances": [
                {
                    "start": 0.0,
                    "end": 2.0,
                    "transcript": "Thank you for calling Acme.",
                    "speaker": 0,
                    "channel": 0,
                },
                {
                    "start": 2.0,
                    "end": 4.0,
                    "transcript": "How can I help you today?",
                    "speaker": 0,
                    "channel": 0,
                },
                {
                    "start": 4.5,
                    "end": 6.0,
                    "transcript": CUSTOMER_REPLY,
                    "speaker": 1,
                    "channel": 0,
                },
                {"start": 6.5, "end": 9.0, "transcript": AGENT_OFFER, "speaker": 0, "channel": 0},
            ],
        },
    }
)

ASSEMBLYAI = json.dumps(
    {
        "id": "t-1",
        "status": "completed",
        "audio_url": "https://example.invalid/call.mp3",
        "audio_duration": 9,
        "text": "...",
        "words": [],
        "utterances": [
            {
                "speaker": "A",
                "start": 0,
                "end": 2000,
                "text": "Thank you for calling Acme.",
                "confidence": 0.9,
            },
            {
                "speaker": "A",
                "start": 2000,
                "end": 4000,
                "text": "How can I help you today?",
                "confidence": 0.9,
            },
            {"speaker": "B", "start": 4500, "end": 6000, "text": CUSTOMER_REPLY, "confidence": 0.9},
            {"speaker": "A", "start": 6500, "end": 9000, "text": AGENT_OFFER, "confidence": 0.9},
        ],
    }
)

SAMPLES: dict[str, tuple[str, str]] = {
    "text": (TEXT, ".txt"),
    "json": (JSON_TURNS, ".json"),
    "vtt": (VTT, ".vtt"),
    "srt": (SRT, ".srt"),
    "csv": (CSV, ".csv"),
    "whisper": (WHISPER, ".json"),
    "aws": (AWS, ".json"),
    "deepgram": (DEEPGRAM, ".json"),
    "assemblyai": (ASSEMBLYAI, ".json"),
}
"""Format name -> (file content, file extension)."""

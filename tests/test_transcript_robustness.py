"""Arbitrary input to every reader: only TranscriptError may escape, never another exception."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcript_samples import SAMPLES
from winback_grader import Transcript, TranscriptError, load_transcript

FORMATS = sorted(SAMPLES)
JSON_FORMATS = ["json", "whisper", "aws", "deepgram", "assemblyai"]

# Pieces of every format's syntax, so that generated text gets past the first checks.
_TOKENS = [
    "WEBVTT",
    "\n",
    "\n\n",
    "-->",
    " --> ",
    "00:00:01.000",
    "0:0:5.2",
    "01:11.913",
    "00:00:02,500",
    "1",
    "<v Agent>",
    "</v>",
    "<v>",
    "<c.x>",
    "NOTE",
    "STYLE",
    "Agent:",
    "Customer:",
    "Speaker 1:",
    "[00:01:23]",
    "[0.00-5.52]",
    ",",
    "\t",
    ";",
    '"',
    "speaker,text,start,end",
    "x",
    " ",
    "é",
    "\r",
]
_structured_text = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_JSON_KEYS = [
    "turns",
    "metadata",
    "speaker",
    "text",
    "start",
    "end",
    "role",
    "segments",
    "results",
    "channels",
    "alternatives",
    "words",
    "utterances",
    "transcript",
    "items",
    "speaker_labels",
    "channel_labels",
    "type",
    "content",
    "start_time",
    "end_time",
    "audio_url",
    "ConversationAnalytics",
    "SpeechSegments",
    "SpeakerLabels",
    "Transcript",
    "JobName",
    "Participants",
    "conversationItems",
    "analysisInput",
]
_json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(_JSON_KEYS), children, max_size=5)
    ),
    max_leaves=25,
)

_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_or_reject(**kwargs: Any) -> None:
    try:
        transcript = load_transcript(**kwargs)
    except TranscriptError:
        return
    assert isinstance(transcript, Transcript)
    assert transcript.turns
    assert all(turn.text.strip() for turn in transcript.turns)


@pytest.mark.parametrize("format_name", FORMATS)
@_SETTINGS
@given(text=st.text(max_size=300))
def test_arbitrary_text(format_name: str, text: str) -> None:
    _load_or_reject(text=text, format=format_name)


@pytest.mark.parametrize("format_name", FORMATS)
@_SETTINGS
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(format_name: str, data: bytes) -> None:
    _load_or_reject(source=data, format=format_name)


@pytest.mark.parametrize("format_name", FORMATS)
@_SETTINGS
@given(text=_structured_text)
def test_format_like_text(format_name: str, text: str) -> None:
    _load_or_reject(text=text, format=format_name)


@pytest.mark.parametrize("format_name", [*JSON_FORMATS, None])
@_SETTINGS
@given(value=_json_values)
def test_arbitrary_json(format_name: str | None, value: Any) -> None:
    _load_or_reject(text=json.dumps(value), format=format_name)


@_SETTINGS
@given(text=_structured_text)
def test_detection_on_format_like_text(text: str) -> None:
    _load_or_reject(text=text)

"""OpenAI Whisper JSON: ``{"text": ..., "segments": [...]}``, as ``verbose_json`` writes it.

Whisper names no speakers, so every segment gets the unknown speaker unless the segment has a
``speaker`` key (as WhisperX writes after diarization).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import UNKNOWN_SPEAKER, Fragment, ReadResult, parse_json, validate_model
from .schema import Schema

__all__ = ["looks_like_whisper", "read_whisper"]


class _Segment(Schema):
    start: float | None = None
    end: float | None = None
    text: str
    speaker: str | None = None


class _Transcription(Schema):
    text: str = ""
    segments: list[_Segment] | None = None
    language: str | None = None
    duration: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Call metadata that ``winback_grader.transcribe`` adds; not part of Whisper's output."""


_PLAIN_KEYS = frozenset({"text", "language", "duration", "task", "words", "usage", "metadata"})


def looks_like_whisper(data: Any) -> bool:
    """Tell whether decoded JSON is Whisper output: segments, or a lone ``text``."""
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("segments"), list):
        return True
    return isinstance(data.get("text"), str) and set(data) <= {
        "text",
        "language",
        "duration",
        "task",
        "words",
        "usage",
    }


def read_whisper(text: str) -> ReadResult:
    """Read Whisper segments, or the whole ``text`` as one fragment when there are no segments."""
    transcription = validate_model(_Transcription, parse_json(text), "Whisper JSON")
    metadata: dict[str, Any] = dict(transcription.metadata)
    if transcription.language:
        metadata["language"] = transcription.language
    if transcription.duration is not None:
        metadata["duration"] = transcription.duration

    if transcription.segments:
        fragments = [
            Fragment(
                speaker=segment.speaker or UNKNOWN_SPEAKER,
                text=segment.text.strip(),
                start=segment.start,
                end=segment.end,
            )
            for segment in transcription.segments
        ]
    else:
        fragments = [Fragment(speaker=UNKNOWN_SPEAKER, text=transcription.text.strip())]
    return ReadResult(fragments=fragments, metadata=metadata)

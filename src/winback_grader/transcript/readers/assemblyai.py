"""AssemblyAI transcript JSON: ``utterances`` with speaker labels, else ``words``; times in ms."""

from __future__ import annotations

from typing import Any

from .base import UNKNOWN_SPEAKER, Fragment, ReadResult, parse_json, validate_model
from .schema import Schema

__all__ = ["looks_like_assemblyai", "read_assemblyai"]


class _Span(Schema):
    text: str
    start: float | None = None
    """Milliseconds from the start of the audio."""
    end: float | None = None
    speaker: str | None = None


class _Transcript(Schema):
    id: str | None = None
    text: str | None = None
    utterances: list[_Span] | None = None
    words: list[_Span] | None = None
    audio_duration: float | None = None
    """Seconds."""
    language_code: str | None = None


def looks_like_assemblyai(data: Any) -> bool:
    """Tell whether decoded JSON is an AssemblyAI transcript."""
    return (
        isinstance(data, dict) and "audio_url" in data and ("utterances" in data or "words" in data)
    )


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def read_assemblyai(text: str) -> ReadResult:
    """Read utterances, else words (consecutive words of one speaker merge later), else the text."""
    transcript = validate_model(_Transcript, parse_json(text), "AssemblyAI JSON")
    metadata: dict[str, Any] = {}
    if transcript.id:
        metadata["transcript_id"] = transcript.id
    if transcript.audio_duration is not None:
        metadata["duration"] = transcript.audio_duration
    if transcript.language_code:
        metadata["language"] = transcript.language_code

    spans = transcript.utterances or transcript.words
    if spans:
        fragments = [
            Fragment(
                speaker=span.speaker or UNKNOWN_SPEAKER,
                text=span.text,
                start=_seconds(span.start),
                end=_seconds(span.end),
            )
            for span in spans
        ]
    else:
        fragments = [Fragment(speaker=UNKNOWN_SPEAKER, text=transcript.text or "")]
    return ReadResult(fragments=fragments, metadata=metadata)

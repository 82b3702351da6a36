"""Deepgram pre-recorded JSON: ``results.utterances``, else the words of each channel.

Deepgram's diarizer numbers the speakers, and they become ``spk_0``, ``spk_1`` ... so that a
role mapping names them the way AWS does. In multichannel audio the diarizer numbers speakers
per channel, so they become ``ch_0_spk_0``, ``ch_1_spk_0`` ... Without diarization, each
channel is one speaker (``ch_0``, ``ch_1``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import Fragment, ReadResult, parse_json, validate_model
from .schema import Schema

__all__ = ["looks_like_deepgram", "read_deepgram"]


class _Word(Schema):
    word: str = ""
    punctuated_word: str | None = None
    start: float | None = None
    end: float | None = None
    speaker: int | None = None


class _Alternative(Schema):
    transcript: str = ""
    words: list[_Word] = Field(default_factory=list)


class _Channel(Schema):
    alternatives: list[_Alternative] = Field(default_factory=list)


class _Utterance(Schema):
    start: float | None = None
    end: float | None = None
    transcript: str
    speaker: int | None = None
    channel: int = 0


class _Results(Schema):
    channels: list[_Channel] = Field(default_factory=list)
    utterances: list[_Utterance] | None = None


class _Metadata(Schema):
    request_id: str | None = None
    created: str | None = None
    duration: float | None = None


class _Response(Schema):
    metadata: _Metadata = _Metadata()
    results: _Results


def looks_like_deepgram(data: Any) -> bool:
    """Tell whether decoded JSON is a Deepgram response."""
    if not isinstance(data, dict):
        return False
    results = data.get("results")
    return isinstance(results, dict) and "channels" in results


def _speaker(speaker: int | None, channel: int, multichannel: bool = False) -> str:
    """Name a speaker; with several channels, diarized speakers are numbered per channel."""
    if speaker is None:
        return f"ch_{channel}"
    return f"ch_{channel}_spk_{speaker}" if multichannel else f"spk_{speaker}"


def read_deepgram(text: str) -> ReadResult:
    """Read utterances, else each channel's words; an empty result gives no fragments."""
    response = validate_model(_Response, parse_json(text), "Deepgram JSON")
    metadata: dict[str, Any] = {}
    if response.metadata.duration is not None:
        metadata["duration"] = response.metadata.duration
    if response.metadata.request_id:
        metadata["request_id"] = response.metadata.request_id

    multichannel = len(response.results.channels) > 1
    if response.results.utterances:
        fragments = [
            Fragment(
                speaker=_speaker(utterance.speaker, utterance.channel, multichannel),
                text=utterance.transcript,
                start=utterance.start,
                end=utterance.end,
            )
            for utterance in response.results.utterances
        ]
        return ReadResult(fragments=fragments, metadata=metadata)

    # No utterances: words carry the speaker when diarization was on. Channels interleave by time.
    timed: list[tuple[float, int, int, Fragment]] = []
    for channel_index, channel in enumerate(response.results.channels):
        if not channel.alternatives:
            continue
        best = channel.alternatives[0]
        for word_index, word in enumerate(best.words):
            fragment = Fragment(
                speaker=_speaker(word.speaker, channel_index, multichannel),
                text=word.punctuated_word or word.word,
                start=word.start,
                end=word.end,
            )
            timed.append((word.start or 0.0, channel_index, word_index, fragment))
        if not best.words and best.transcript.strip():
            fragment = Fragment(speaker=_speaker(None, channel_index), text=best.transcript)
            timed.append((0.0, channel_index, 0, fragment))
    timed.sort(key=lambda entry: entry[:3])
    return ReadResult(fragments=[entry[3] for entry in timed], metadata=metadata)

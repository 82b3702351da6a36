"""Amazon Transcribe JSON: batch jobs, Call Analytics jobs, and Post Call Analytics (PCA) output.

Batch jobs name speakers in ``speaker_labels`` (``spk_0`` ...), else in ``channel_labels``
(``ch_0`` ...). A job with neither gives one unknown speaker and a warning. Call Analytics and
PCA files also name the participant who is the agent.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..models import Role
from .base import UNKNOWN_SPEAKER, Fragment, ReaderError, ReadResult, parse_json, validate_model
from .schema import Schema

__all__ = ["looks_like_aws", "read_aws"]


# Batch transcription job output.
class _Alternative(Schema):
    content: str


class _Item(Schema):
    start_time: float | None = None
    end_time: float | None = None
    type: Literal["pronunciation", "punctuation"]
    alternatives: list[_Alternative] = Field(min_length=1)
    speaker_label: str | None = None
    channel_label: str | None = None


class _LabelledItem(Schema):
    start_time: float | None = None
    speaker_label: str | None = None


class _SpeakerSegment(Schema):
    items: list[_LabelledItem] = Field(default_factory=list)


class _SpeakerLabels(Schema):
    segments: list[_SpeakerSegment] = Field(default_factory=list)


class _ChannelItems(Schema):
    channel_label: str
    items: list[_Item] = Field(default_factory=list)


class _ChannelLabels(Schema):
    channels: list[_ChannelItems] = Field(default_factory=list)


class _TranscriptText(Schema):
    transcript: str = ""


class _BatchResults(Schema):
    transcripts: list[_TranscriptText] = Field(default_factory=list)
    items: list[_Item] = Field(default_factory=list)
    speaker_labels: _SpeakerLabels | None = None
    channel_labels: _ChannelLabels | None = None


class _BatchJob(Schema):
    jobName: str | None = None
    results: _BatchResults


# Call Analytics job output.
class _AnalyticsTurn(Schema):
    ParticipantRole: str
    Content: str
    BeginOffsetMillis: float | None = None
    EndOffsetMillis: float | None = None


class _AnalyticsJob(Schema):
    JobName: str | None = None
    Transcript: list[_AnalyticsTurn]


# Post Call Analytics (the aws-samples PCA solution) parsed output.
class _PcaSpeakerLabel(Schema):
    Speaker: str
    DisplayText: str


class _PcaAnalytics(Schema):
    GUID: str | None = None
    Agent: str | None = None
    ConversationTime: str | None = None
    Duration: float | None = None
    LanguageCode: str | None = None
    SpeakerLabels: list[_PcaSpeakerLabel] = Field(default_factory=list)


class _PcaSegment(Schema):
    SegmentStartTime: float | None = None
    SegmentEndTime: float | None = None
    SegmentSpeaker: str
    DisplayText: str | None = None
    OriginalText: str = ""


class _PcaOutput(Schema):
    ConversationAnalytics: _PcaAnalytics
    SpeechSegments: list[_PcaSegment]


_ROLE_WORDS: dict[str, Role] = {"agent": "agent", "customer": "customer", "caller": "customer"}


def looks_like_aws(data: Any) -> bool:
    """Tell whether decoded JSON is Amazon Transcribe, Call Analytics or PCA output."""
    if not isinstance(data, dict):
        return False
    if "ConversationAnalytics" in data or ("Transcript" in data and "Participants" in data):
        return True
    if "JobName" in data and isinstance(data.get("Transcript"), list):
        return True
    results = data.get("results")
    return isinstance(results, dict) and ("items" in results or "transcripts" in results)


def _tokens_to_fragments(
    items: list[_Item], speaker_of: dict[float, str], default: str
) -> list[Fragment]:
    """Turn items into one fragment per word; punctuation joins the word before it."""
    fragments: list[Fragment] = []
    speaker = default
    for item in items:
        content = item.alternatives[0].content
        if item.type == "punctuation":
            if fragments:
                fragments[-1].text += content
            continue
        speaker = (
            item.speaker_label
            or item.channel_label
            or speaker_of.get(item.start_time or -1.0, speaker)
        )
        fragments.append(
            Fragment(speaker=speaker, text=content, start=item.start_time, end=item.end_time)
        )
    return fragments


def _read_batch(job: _BatchJob) -> ReadResult:
    results = job.results
    metadata: dict[str, Any] = {"job_name": job.jobName} if job.jobName else {}

    if results.speaker_labels is not None:
        speaker_of = {
            item.start_time: item.speaker_label
            for segment in results.speaker_labels.segments
            for item in segment.items
            if item.start_time is not None and item.speaker_label
        }
        fragments = _tokens_to_fragments(results.items, speaker_of, UNKNOWN_SPEAKER)
        return ReadResult(fragments=fragments, metadata=metadata)

    if results.channel_labels is not None:
        # Each channel lists its own items; sorting by time interleaves the channels, and the
        # stable sort keeps each punctuation mark right after its word.
        timed: list[tuple[float, int, int, Fragment]] = []
        for channel_index, channel in enumerate(results.channel_labels.channels):
            channel_fragments = _tokens_to_fragments(channel.items, {}, channel.channel_label)
            for order, fragment in enumerate(channel_fragments):
                fragment.speaker = channel.channel_label
                timed.append((fragment.start or 0.0, channel_index, order, fragment))
        timed.sort(key=lambda entry: entry[:3])
        return ReadResult(fragments=[entry[3] for entry in timed], metadata=metadata)

    fragments = _tokens_to_fragments(results.items, {}, UNKNOWN_SPEAKER)
    if any(item.speaker_label or item.channel_label for item in results.items):
        # Newer jobs put the label on each item as well as in speaker_labels.
        return ReadResult(fragments=fragments, metadata=metadata)
    if not fragments and results.transcripts:
        fragments = [Fragment(speaker=UNKNOWN_SPEAKER, text=results.transcripts[0].transcript)]
    warning = (
        "the job has neither speaker_labels nor channel_labels, so all speech is one speaker"
    )
    return ReadResult(fragments=fragments, metadata=metadata, warnings=[warning])


def _read_analytics(job: _AnalyticsJob) -> ReadResult:
    result = ReadResult(fragments=[], metadata={"job_name": job.JobName} if job.JobName else {})
    for turn in job.Transcript:
        speaker = turn.ParticipantRole
        role = _ROLE_WORDS.get(speaker.lower())
        if role is not None:
            result.speaker_roles[speaker] = role
        start = None if turn.BeginOffsetMillis is None else turn.BeginOffsetMillis / 1000
        end = None if turn.EndOffsetMillis is None else turn.EndOffsetMillis / 1000
        result.fragments.append(Fragment(speaker=speaker, text=turn.Content, start=start, end=end))
    return result


def _read_pca(output: _PcaOutput) -> ReadResult:
    analytics = output.ConversationAnalytics
    metadata: dict[str, Any] = {}
    # PCA writes the string "None" for values it does not have.
    if analytics.GUID and analytics.GUID != "None":
        metadata["call_id"] = analytics.GUID
    if analytics.Agent and analytics.Agent != "None":
        metadata["agent_id"] = analytics.Agent
    if analytics.ConversationTime:
        metadata["started_at"] = analytics.ConversationTime
    if analytics.Duration is not None:
        metadata["duration"] = analytics.Duration
    if analytics.LanguageCode:
        metadata["language"] = analytics.LanguageCode

    result = ReadResult(fragments=[], metadata=metadata)
    for label in analytics.SpeakerLabels:
        role = _ROLE_WORDS.get(label.DisplayText.strip().lower())
        if role is not None:
            result.speaker_roles[label.Speaker] = role
    for segment in output.SpeechSegments:
        result.fragments.append(
            Fragment(
                speaker=segment.SegmentSpeaker,
                text=segment.DisplayText
                if segment.DisplayText is not None
                else segment.OriginalText,
                start=segment.SegmentStartTime,
                end=segment.SegmentEndTime,
            )
        )
    return result


def read_aws(text: str) -> ReadResult:
    """Read any of the three Amazon layouts, recognized by their top-level keys."""
    data = parse_json(text)
    if not isinstance(data, dict):
        raise ReaderError("not valid Amazon Transcribe JSON: the top level is not an object")
    if "ConversationAnalytics" in data:
        return _read_pca(validate_model(_PcaOutput, data, "Amazon PCA JSON"))
    if "Transcript" in data and "results" not in data:
        return _read_analytics(validate_model(_AnalyticsJob, data, "Amazon Call Analytics JSON"))
    return _read_batch(validate_model(_BatchJob, data, "Amazon Transcribe JSON"))

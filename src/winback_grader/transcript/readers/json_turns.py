"""JSON turns: a list of ``{speaker, text, start, end}``, or ``{"turns": [...], "metadata": ...}``.

Azure AI Language conversation input (``conversationItems`` with ``participantId``) reads the same
way, because its items carry the same fields under other names.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from ..models import Role
from .base import UNKNOWN_SPEAKER, Fragment, ReaderError, ReadResult, parse_json, validate_model
from .schema import Schema

__all__ = ["looks_like_json_turns", "read_json_turns"]


class _Turn(Schema):
    speaker: str | int | None = Field(
        default=None,
        validation_alias=AliasChoices("speaker", "participantId", "participant", "name"),
    )
    """The speaker label; Azure calls it ``participantId``."""
    role: str | None = None
    """The speaker's role when the file gives it apart from the label."""
    text: str = Field(validation_alias=AliasChoices("text", "content", "utterance", "transcript"))
    start: float | None = None
    end: float | None = None


class _Document(Schema):
    turns: list[_Turn]
    metadata: dict[str, Any] = Field(default_factory=dict)


_ROLE_NAMES: dict[str, Role] = {"agent": "agent", "customer": "customer"}


def _unwrap(data: Any) -> Any:
    """Return the ``{"turns": ..., "metadata": ...}`` shape for every accepted layout."""
    if isinstance(data, list):
        return {"turns": data}
    if isinstance(data, dict):
        analysis = data.get("analysisInput")
        if isinstance(analysis, dict):
            conversations = analysis.get("conversations")
            if isinstance(conversations, list) and len(conversations) == 1:
                data = conversations[0]
            elif isinstance(conversations, list):
                raise ReaderError(
                    f"the file contains {len(conversations)} conversations; "
                    "load_transcript reads one call per file"
                )
        if isinstance(data, dict) and "conversationItems" in data:
            metadata = {k: data[k] for k in ("id", "language") if isinstance(data.get(k), str)}
            if "id" in metadata:
                metadata["call_id"] = metadata.pop("id")
            return {"turns": data["conversationItems"], "metadata": metadata}
    return data


def looks_like_json_turns(data: Any) -> bool:
    """Tell whether decoded JSON has one of the turn-list layouts."""
    if isinstance(data, list):
        return True
    return isinstance(data, dict) and any(
        key in data for key in ("turns", "conversationItems", "analysisInput")
    )


def _is_scorecard_output(data: Any) -> bool:
    # `grade --format json` writes a list of scorecards; saved beside the calls, a later
    # `grade FOLDER` would otherwise report it as JSON turns with missing fields.
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and "transcript_id" in first and "grades" in first


def read_json_turns(text: str) -> ReadResult:
    """Read a list of turns; a ``role`` key beside ``speaker`` sets that speaker's role."""
    data = parse_json(text)
    if _is_scorecard_output(data):
        raise ReaderError(
            "this is a winback-grader results file (scorecards), not a transcript; "
            "write --out files outside the folders you grade"
        )
    document = validate_model(_Document, _unwrap(data), "JSON turns")
    result = ReadResult(fragments=[], metadata=dict(document.metadata))
    for turn in document.turns:
        speaker = str(turn.speaker) if turn.speaker is not None else (turn.role or UNKNOWN_SPEAKER)
        role = _ROLE_NAMES.get((turn.role or "").strip().lower())
        if role is not None:
            result.speaker_roles[speaker] = role
        result.fragments.append(
            Fragment(speaker=speaker, text=turn.text, start=turn.start, end=turn.end)
        )
    return result

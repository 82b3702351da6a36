"""The reader output type, the reader error, and helpers the readers share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..models import Role

__all__ = [
    "UNKNOWN_SPEAKER",
    "Fragment",
    "ReadResult",
    "ReaderError",
    "parse_clock",
    "parse_json",
    "validate_model",
]

UNKNOWN_SPEAKER = "unknown"
"""The speaker label given to speech whose source names no speaker."""

T = TypeVar("T", bound=BaseModel)


class ReaderError(Exception):
    """A reader cannot make sense of its input; ``load_transcript`` adds the file name."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(reason)


@dataclass
class Fragment:
    """One piece of speech as the source gives it, before merging and role assignment."""

    speaker: str
    """The speaker label as the source gives it."""
    text: str
    """The words, with markup removed."""
    start: float | None = None
    """Seconds from the start of the call."""
    end: float | None = None
    """Seconds from the start of the call."""


@dataclass
class ReadResult:
    """A reader's output: the fragments in spoken order plus the call details in the file."""

    fragments: list[Fragment]
    """The speech fragments in the order they were spoken."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Call metadata found in the file itself."""
    speaker_roles: dict[str, Role] = field(default_factory=dict)
    """Roles the file itself assigns to speaker labels (AWS SpeakerLabels, a JSON ``role`` key)."""
    warnings: list[str] = field(default_factory=list)
    """Problems the reader worked around, such as a skipped cue with no text."""


_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:[.,]\d+)?)$")


def parse_clock(value: str) -> float | None:
    """Convert ``hh:mm:ss.fff``, ``mm:ss.fff`` or ``h:m:s.f`` to seconds; None for other text."""
    match = _CLOCK.match(value.strip())
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    # Rounded to microseconds so that 2:57.42 reads as 177.42, not 177.42000000000002.
    return round(int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds.replace(",", ".")), 6)


def parse_json(text: str) -> Any:
    """Decode JSON, turning a syntax error into a ReaderError with its line."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(
            f"invalid JSON: {exc.msg} at column {exc.colno}", line=exc.lineno
        ) from exc
    except RecursionError as exc:
        # json.loads recurses once per nesting level, so deeply nested input exhausts the stack.
        raise ReaderError("invalid JSON: nested too deeply") from exc


def validate_model(model: type[T], data: Any, what: str) -> T:
    """Validate decoded JSON against a reader's schema; the first problem becomes a ReaderError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise ReaderError(f"not valid {what}: {where}: {first['msg']}") from exc

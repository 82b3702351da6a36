"""SubRip (SRT) captions: numbered cues with ``00:00:01,000 --> 00:00:02,000`` times."""

from __future__ import annotations

from .base import ReaderError, ReadResult
from .cues import split_cues
from .vtt import cue_fragments

__all__ = ["read_srt"]


def read_srt(text: str) -> ReadResult:
    """Read SRT cues; a cue with no text is skipped with a warning and later cues are kept."""
    cues = split_cues(text.split("\n"))
    if not cues:
        raise ReaderError(
            "no SRT cue found; expected a timing line such as '00:00:01,000 --> 00:00:02,000'"
        )

    result = ReadResult(fragments=[])
    for cue in cues:
        fragments = cue_fragments(cue, voice_tags=False)
        if not fragments:
            result.warnings.append(f"line {cue.line}: cue has no text; skipped")
        result.fragments.extend(fragments)
    return result

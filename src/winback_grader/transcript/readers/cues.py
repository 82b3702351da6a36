"""Timed cues shared by the WebVTT and SRT readers: timing lines, identifiers and cue text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .base import ReaderError, parse_clock

__all__ = ["Cue", "split_cues"]

# "00:00:01.000 --> 00:00:02.500 align:start": the settings after the end time are ignored.
_TIMING = re.compile(r"^\s*(?P<start>[^\s-]+)\s*-->\s*(?P<end>[^\s<]+)(?:\s.*)?$")


@dataclass
class Cue:
    """One cue: its times, the line number of its timing line, and its text lines."""

    line: int
    """The 1-based line number of the cue's timing line."""
    start: float
    end: float
    lines: list[str] = field(default_factory=list)
    """The cue's text lines, markup still in place."""


def _parse_time(value: str, line: int) -> float:
    seconds = parse_clock(value)
    if seconds is None:
        raise ReaderError(
            f"invalid cue time {value!r}; expected hh:mm:ss.mmm or mm:ss.mmm", line=line
        )
    return seconds


def split_cues(lines: list[str], first_line: int = 1) -> list[Cue]:
    """Group lines into cues: a timing line opens a cue, and the lines after it are its text.

    The line straight before a timing line at the start of a block is the cue's identifier and
    is dropped. A timing line inside a block opens a new cue, as some caption tools omit the
    blank line between cues.
    """
    cues: list[Cue] = []
    block_start = True
    for offset, line in enumerate(lines):
        number = first_line + offset
        timing = _TIMING.match(line)
        if timing is not None:
            cue = Cue(
                line=number,
                start=_parse_time(timing["start"], number),
                end=_parse_time(timing["end"], number),
            )
            cues.append(cue)
            block_start = False
            continue
        if not line.strip():
            block_start = True
            continue
        next_is_timing = offset + 1 < len(lines) and _TIMING.match(lines[offset + 1]) is not None
        if block_start and next_is_timing:
            continue  # a cue identifier
        if cues:
            # Text after a blank line that no timing line opens stays with the cue above,
            # because some SRT writers put blank lines inside a cue's text.
            cues[-1].lines.append(line)
        block_start = False
    return cues

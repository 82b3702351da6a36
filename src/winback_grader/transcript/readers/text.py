"""Plain text: ``Agent: ...`` lines with optional ``[00:01:23]`` or ``[0.00-5.52]`` times."""

from __future__ import annotations

import re

from .base import Fragment, ReaderError, ReadResult, parse_clock
from .labels import split_label

__all__ = ["read_text"]

_TIME = r"\d+(?::\d{1,2}){0,2}(?:[.,]\d+)?"
_CLOCK_TIME = r"\d+(?::\d{1,2}){1,2}(?:[.,]\d+)?"
# A time prefix is either in brackets ("[00:01:23]", "[0.00-5.52]") or a bare clock time with a
# colon ("00:01:23 Agent: ..."), so that a line starting with a plain number stays text.
_TIME_PREFIX = re.compile(
    rf"^\s*(?:\[(?P<start>{_TIME})(?:\s*-+\s*(?P<end>{_TIME}))?\]|(?P<bare>{_CLOCK_TIME}))\s*"
)


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    clock = parse_clock(value)
    return clock if clock is not None else float(value.replace(",", "."))


def read_text(text: str) -> ReadResult:
    """Read ``Speaker: words`` lines; a line without a label continues the turn above it."""
    fragments: list[Fragment] = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue

        start = end = None
        labelled = split_label(line)
        prefix = _TIME_PREFIX.match(line)
        if prefix is not None and split_label(line[prefix.end() :]) is not None:
            # A time counts only before a label: "10:30 works for me" is speech.
            start = _seconds(prefix["start"] or prefix["bare"])
            end = _seconds(prefix["end"])
            labelled = split_label(line[prefix.end() :])

        if labelled is not None:
            speaker, words = labelled
            fragments.append(Fragment(speaker=speaker, text=words, start=start, end=end))
        elif fragments:
            previous = fragments[-1]
            previous.text = f"{previous.text} {line.strip()}".strip()
        else:
            raise ReaderError(
                "text before the first speaker label; start each turn with a label such as "
                "'Agent:' or 'Customer:'",
                line=line_number,
            )
    return ReadResult(fragments=fragments)

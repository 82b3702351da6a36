"""Speaker labels written into the text itself: ``Agent: ...``, ``Speaker 1: ...``."""

from __future__ import annotations

import re

__all__ = ["split_label"]

# A label starts with a letter, is at most 40 characters and 4 words, and is followed by a colon
# and whitespace (or the line end), so that "http://..." and "10:30" are not taken for labels.
_LABEL = re.compile(r"^(?P<speaker>[^\W\d_][\w.'() -]{0,39}?)\s*:(?:\s+|$)(?P<text>.*)$", re.DOTALL)
_MAX_LABEL_WORDS = 4


def split_label(line: str) -> tuple[str, str] | None:
    """Split ``"Agent: hello"`` into ``("Agent", "hello")``; None when the line has no label."""
    match = _LABEL.match(line.strip())
    if match is None:
        return None
    speaker = match["speaker"].strip()
    if len(speaker.split()) > _MAX_LABEL_WORDS:
        return None
    return speaker, match["text"].strip()

"""WebVTT captions: voice tags ``<v Name>``, cue identifiers, NOTE/STYLE/REGION blocks, cue tags."""

from __future__ import annotations

import html
import re

from .base import UNKNOWN_SPEAKER, Fragment, ReaderError, ReadResult
from .cues import Cue, split_cues
from .labels import split_label

__all__ = ["cue_fragments", "read_vtt"]

_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


def _blank_skipped_blocks(lines: list[str]) -> list[str]:
    """Blank out the header and NOTE/STYLE/REGION blocks, keeping line numbers for messages."""
    kept = list(lines)
    skipping = True  # the header block runs until the first blank line
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            skipping = False
            continue
        starts_block = index == 0 or not lines[index - 1].strip()
        if starts_block and stripped.split(" ", 1)[0].split("\t", 1)[0] in _SKIPPED_BLOCKS:
            skipping = True
        if skipping:
            kept[index] = ""
    return kept


def cue_fragments(cue: Cue, voice_tags: bool) -> list[Fragment]:
    """Turn one cue's lines into fragments, one per voice (or ``Speaker:`` label) in it."""
    fragments: list[Fragment] = []
    speaker: str | None = None
    for raw in cue.lines:
        line = raw
        voice = _VOICE.search(line) if voice_tags else None
        if voice is not None:
            speaker = (voice["name"] or "").strip() or UNKNOWN_SPEAKER
        words = html.unescape(_TAG.sub("", line)).strip()
        if not words:
            continue
        if voice is None and not fragments:
            labelled = split_label(words)
            if labelled is not None:
                speaker, words = labelled
        if fragments and fragments[-1].speaker == (speaker or UNKNOWN_SPEAKER):
            fragments[-1].text = f"{fragments[-1].text} {words}"
        else:
            fragments.append(
                Fragment(
                    speaker=speaker or UNKNOWN_SPEAKER, text=words, start=cue.start, end=cue.end
                )
            )
    return fragments


def read_vtt(text: str) -> ReadResult:
    """Read WebVTT cues; a cue with no text is skipped with a warning."""
    lines = text.split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise ReaderError("missing the 'WEBVTT' header on the first line", line=1)

    result = ReadResult(fragments=[])
    for cue in split_cues(_blank_skipped_blocks(lines)):
        fragments = cue_fragments(cue, voice_tags=True)
        if not fragments:
            result.warnings.append(f"line {cue.line}: cue has no text; skipped")
        result.fragments.extend(fragments)
    return result

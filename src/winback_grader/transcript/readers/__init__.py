"""One reader per transcript format, the table that names them, and format detection.

Detection goes by the file's extension first, then by the content: a ``WEBVTT`` header, an SRT
timing line, a CSV header, JSON whose top-level keys show which tool wrote it, else plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .assemblyai import looks_like_assemblyai, read_assemblyai
from .aws import looks_like_aws, read_aws
from .base import UNKNOWN_SPEAKER, Fragment, ReaderError, ReadResult, parse_json
from .csv_table import read_csv
from .deepgram import looks_like_deepgram, read_deepgram
from .json_turns import looks_like_json_turns, read_json_turns
from .srt import read_srt
from .text import read_text
from .vtt import read_vtt
from .whisper import looks_like_whisper, read_whisper

__all__ = [
    "READERS",
    "UNKNOWN_SPEAKER",
    "Fragment",
    "ReadResult",
    "Reader",
    "ReaderError",
    "detect_format",
]

Reader = Callable[[str], ReadResult]

READERS: dict[str, Reader] = {
    "text": read_text,
    "json": read_json_turns,
    "vtt": read_vtt,
    "srt": read_srt,
    "csv": read_csv,
    "whisper": read_whisper,
    "aws": read_aws,
    "deepgram": read_deepgram,
    "assemblyai": read_assemblyai,
}
"""Format name -> reader; the names are the ones ``load_transcript(format=...)`` accepts."""

_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".vtt": "vtt",
    ".webvtt": "vtt",
    ".srt": "srt",
    ".csv": "csv",
    ".tsv": "csv",
}

# Checked in order: the first JSON layout that matches wins. JSON turns come last because a
# bare list is the loosest shape.
_JSON_LAYOUTS: list[tuple[str, Callable[[Any], bool]]] = [
    ("deepgram", looks_like_deepgram),
    ("aws", looks_like_aws),
    ("assemblyai", looks_like_assemblyai),
    ("whisper", looks_like_whisper),
    ("json", looks_like_json_turns),
]

_SRT_TIMING = re.compile(r"^\s*\d+:\d{1,2}:\d{1,2}[,.]\d+\s*-->", re.MULTILINE)
_CSV_HEADER = re.compile(r"^[^\n]*\b(speaker|role|participant)\b[^\n]*[,\t;][^\n]*$", re.IGNORECASE)


def _detect_json(text: str) -> str:
    data = parse_json(text)
    for name, matches in _JSON_LAYOUTS:
        if matches(data):
            return name
    keys = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
    raise ReaderError(
        f"unknown JSON layout (top-level keys: {keys}); "
        f"pass format= with one of {', '.join(READERS)}"
    )


def detect_format(text: str, suffix: str = "") -> str:
    """Return the format name for a file's extension and content."""
    by_extension = _EXTENSIONS.get(suffix.lower())
    if by_extension is not None:
        return by_extension

    head = text.lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith(("{", "[")) and suffix.lower() != ".txt":
        try:
            return _detect_json(text)
        except ReaderError:
            if suffix.lower() == ".json":
                raise
            # Text that merely starts with a bracket, such as "[00:00:01] Agent: hi".
    if _SRT_TIMING.search(text[:2000]):
        return "srt"
    first_line = head.split("\n", 1)[0]
    if _CSV_HEADER.match(first_line) and ":" not in first_line:
        return "csv"
    return "text"

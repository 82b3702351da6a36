"""CSV or TSV with speaker and text columns and optional start and end columns."""

from __future__ import annotations

import csv
import io
import re

from .base import UNKNOWN_SPEAKER, Fragment, ReaderError, ReadResult, parse_clock

__all__ = ["read_csv"]

# Header names are matched after lower-casing and dropping everything but letters and digits,
# so "Speaker Label", "speaker_label" and "SPEAKER-LABEL" are one name.
_COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "speaker": (
        "speaker",
        "speakerlabel",
        "speakername",
        "role",
        "participant",
        "participantid",
        "party",
        "channel",
        "who",
        "author",
        "sender",
    ),
    "text": ("text", "utterance", "transcript", "content", "message", "sentence", "said", "words"),
    "start": (
        "start",
        "starttime",
        "startsec",
        "startseconds",
        "begin",
        "from",
        "offset",
        "timestamp",
    ),
    "end": ("end", "endtime", "endsec", "endseconds", "stop", "to"),
}
_REQUIRED = ("speaker", "text")


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _find_columns(header: list[str]) -> dict[str, int]:
    normalised = [_normalise(name) for name in header]
    columns: dict[str, int] = {}
    for field, accepted in _COLUMN_NAMES.items():
        for index, name in enumerate(normalised):
            if name in accepted:
                columns[field] = index
                break
    missing = [field for field in _REQUIRED if field not in columns]
    if missing:
        accepted_names = "; ".join(
            f"{field}: {', '.join(_COLUMN_NAMES[field])}" for field in missing
        )
        raise ReaderError(
            f"the header {header!r} has no {' or '.join(missing)} column; "
            f"accepted names are {accepted_names}",
            line=1,
        )
    return columns


def _seconds(value: str, column: str, line: int) -> float | None:
    value = value.strip()
    if not value:
        return None
    clock = parse_clock(value)
    if clock is not None:
        return clock
    try:
        seconds = float(value)
    except ValueError:
        raise ReaderError(
            f"{column} {value!r} is not a time; write seconds (12.5) or hh:mm:ss.mmm", line=line
        ) from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ReaderError(f"{column} {value!r} is not a finite number of seconds", line=line)
    return seconds


def read_csv(text: str) -> ReadResult:
    """Read one fragment per row; the header decides the delimiter (comma, tab or semicolon)."""
    header_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        # line_num is the line a row ends on, so error messages can point at it.
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ReaderError(f"invalid CSV: {exc}", line=reader.line_num) from exc
    if not rows:
        raise ReaderError("the CSV has no header row", line=1)

    columns = _find_columns(rows[0][1])
    fragments: list[Fragment] = []
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        cells = {field: row[index] if index < len(row) else "" for field, index in columns.items()}
        fragments.append(
            Fragment(
                speaker=cells["speaker"].strip() or UNKNOWN_SPEAKER,
                text=cells["text"].strip(),
                start=_seconds(cells["start"], "start", line) if "start" in cells else None,
                end=_seconds(cells["end"], "end", line) if "end" in cells else None,
            )
        )
    return ReadResult(fragments=fragments)

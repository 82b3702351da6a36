"""``load_transcript``: read, merge fragments, assign roles, add metadata."""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import TranscriptError
from .metadata import build_metadata, find_sidecar, read_sidecar
from .models import Transcript, Turn
from .readers import READERS, Fragment, ReaderError, detect_format
from .roles import assign_roles

__all__ = ["DEFAULT_MAX_BYTES", "load_transcript"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""The largest transcript accepted by default, in bytes; far above any one call's transcript."""


def load_transcript(
    source: str | os.PathLike[str] | bytes | None = None,
    *,
    text: str | None = None,
    format: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    roles: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Transcript:
    """Read one call from a path, from the file's bytes, or from ``text=``.

    ``format`` forces a reader (see ``READERS`` for the names); otherwise the extension, then
    the content, decides. ``metadata`` overrides the values in the file and its sidecar. ``roles``
    maps speaker labels to ``"agent"``, ``"customer"`` or ``"unknown"``. Raises TranscriptError
    naming the file (and the line, for text formats) when the input cannot be read.
    """
    # 1. Get the text and a name for messages.
    if (source is None) == (text is None):
        raise TranscriptError("pass exactly one of a path (or bytes) and text=...")
    for option, value in (("metadata", metadata), ("roles", roles)):
        if value is not None and not isinstance(value, Mapping):
            kind = type(value).__name__
            example = "{'spk_0': 'agent'}"
            raise TranscriptError(f"{option}= must be a mapping such as {example}, not {kind}")
    path: Path | None = None
    if isinstance(source, bytes):
        name = "<bytes>"
        content = _decode(_check_size(source, name, max_bytes), name)
    elif source is not None:
        path = Path(source)
        name = str(path)
        content = _decode(_read_file(path, max_bytes), name)
    else:
        assert text is not None
        name = "<text>"
        _check_size(text.encode("utf-8", "surrogatepass"), name, max_bytes)
        content = text.removeprefix("\ufeff")
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if not content.strip():
        raise TranscriptError(f"{name}: the transcript is empty")

    # 2. Choose a reader and run it.
    format_name = _choose_format(format, content, path, name)
    try:
        result = READERS[format_name](content)
    except ReaderError as exc:
        where = f"line {exc.line}: " if exc.line is not None else ""
        raise TranscriptError(f"{name}: {where}{exc.reason} (read as {format_name})") from exc
    for warning in result.warnings:
        logger.warning("%s: %s", name, warning)

    # 3. Merge fragments into turns and give each speaker a role.
    fragments = _merge(result.fragments)
    if not fragments:
        raise TranscriptError(
            f"{name}: no speech found: every turn in the {format_name} input is empty"
        )
    assignment = assign_roles(fragments, result.speaker_roles, roles)
    for warning in assignment.warnings:
        logger.warning("%s: %s", name, warning)
    turns = [
        Turn(
            speaker=fragment.speaker,
            role=assignment.roles[fragment.speaker],
            text=fragment.text,
            start=fragment.start,
            end=fragment.end,
        )
        for fragment in fragments
    ]

    # 4. Metadata: the file, then its sidecar, then the caller's, each overriding the one before.
    layers: list[Mapping[str, Any]] = [result.metadata]
    sidecar = find_sidecar(path) if path is not None else None
    if sidecar is not None:
        layers.append(read_sidecar(sidecar))
    layers.append(metadata or {})
    recorded: dict[str, Any] = {
        "format": format_name,
        "roles": dict(assignment.roles),
        "role_source": assignment.source,
    }
    if assignment.evidence:
        recorded["role_evidence"] = assignment.evidence
    warnings = result.warnings + assignment.warnings
    if warnings:
        recorded["warnings"] = warnings
    layers.insert(1, recorded)
    call_metadata = build_metadata(
        layers, turns, default_call_id=path.stem if path else "transcript"
    )
    return Transcript(id=call_metadata["call_id"], turns=turns, metadata=call_metadata)


def _check_size(raw: bytes, name: str, max_bytes: int) -> bytes:
    if len(raw) > max_bytes:
        raise TranscriptError(
            f"{name}: the transcript is {len(raw):,} bytes, over the limit of {max_bytes:,}; "
            "pass a larger max_bytes= to load_transcript to read it"
        )
    return raw


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TranscriptError(
                f"{path}: the file is {size:,} bytes, over the limit of {max_bytes:,}; "
                "pass a larger max_bytes= to load_transcript to read it"
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        hint = "; to read transcript text, pass it as text=..." if "\n" in str(path) else ""
        raise TranscriptError(f"{_short(path)}: file not found{hint}") from exc
    except IsADirectoryError as exc:
        raise TranscriptError(f"{path}: is a folder, not a transcript file") from exc
    except OSError as exc:
        # A long text passed as the path fails with "File name too long".
        hint = "; to read transcript text, pass it as text=..." if "\n" in str(path) else ""
        raise TranscriptError(f"{_short(path)}: cannot be read: {exc.strerror}{hint}") from exc


def _short(path: Path) -> str:
    """Return the path cut to 80 characters, so that text passed as a path keeps messages short."""
    name = str(path)
    return name if len(name) <= 80 else name[:77] + "..."


def _decode(raw: bytes, name: str) -> str:
    """Decode UTF-8 (with or without a byte-order mark), or UTF-16 when a UTF-16 mark says so."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TranscriptError(
            f"{name}: line {line}: byte {exc.start} is not valid {exc.encoding.upper()} "
            f"({exc.reason}); save the file as UTF-8"
        ) from exc


def _choose_format(format: str | None, content: str, path: Path | None, name: str) -> str:
    if format is not None:
        if format not in READERS:
            raise TranscriptError(
                f"{name}: unknown format {format!r}; use one of {', '.join(READERS)}"
            )
        return format
    try:
        return detect_format(content, path.suffix if path is not None else "")
    except ReaderError as exc:
        where = f"line {exc.line}: " if exc.line is not None else ""
        raise TranscriptError(f"{name}: {where}{exc.reason}") from exc


def _merge(fragments: Sequence[Fragment]) -> list[Fragment]:
    """Drop empty fragments, then join consecutive fragments of one speaker into one turn.

    A merged turn keeps the first fragment's start and the last known end.
    """
    merged: list[Fragment] = []
    for fragment in fragments:
        words = " ".join(fragment.text.split())
        if not words:
            continue
        if merged and merged[-1].speaker == fragment.speaker:
            previous = merged[-1]
            previous.text = f"{previous.text} {words}"
            if fragment.end is not None:
                previous.end = fragment.end
            if previous.start is None:
                previous.start = fragment.start
        else:
            merged.append(Fragment(fragment.speaker, words, fragment.start, fragment.end))
    return merged

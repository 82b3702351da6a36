"""``load_transcript``: pick a reader by extension or content, then attach roles and metadata.

NOTE: minimal placeholder that reads ``Agent: ...`` / ``Customer: ...`` text and JSON turns
only; the full set of readers replaces it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import TranscriptError
from .models import Transcript, Turn

__all__ = ["load_transcript"]


def load_transcript(
    source: str | os.PathLike[str] | None = None,
    *,
    text: str | None = None,
    format: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Transcript:
    """Read one call from a file path or from ``text=``."""
    if (source is None) == (text is None):
        raise TranscriptError("pass exactly one of a path or text=...")
    call_id = "transcript"
    if source is not None:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise TranscriptError(f"{path}: cannot be read: {exc.strerror}") from exc
        call_id = path.stem
        if format is None and path.suffix == ".json":
            format = "json"
    assert text is not None
    meta = dict(metadata or {})
    if format == "json":
        data = json.loads(text)
        raw_turns = data["turns"] if isinstance(data, dict) else data
        if isinstance(data, dict):
            meta = {**data.get("metadata", {}), **meta}
        turns = [Turn(**t) for t in raw_turns]
    else:
        turns = []
        for line in text.splitlines():
            speaker, sep, said = line.partition(":")
            if not sep or not said.strip():
                continue
            role = speaker.strip().lower()
            turns.append(
                Turn(
                    speaker=speaker.strip(),
                    role=role if role in ("agent", "customer") else "unknown",  # type: ignore[arg-type]
                    text=said.strip(),
                )
            )
    return Transcript(id=str(meta.get("call_id", call_id)), turns=turns, metadata=meta)

"""Call metadata: from the file, a ``<name>.meta.json`` or ``.meta.yaml`` sidecar, the caller."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import TranscriptError
from .models import Turn

__all__ = ["SIDECAR_SUFFIXES", "build_metadata", "find_sidecar", "read_sidecar"]

SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")
"""A sidecar sits beside the transcript: ``call_17.vtt`` -> ``call_17.meta.json``."""


def find_sidecar(path: Path) -> Path | None:
    """Return the first sidecar file that exists beside ``path``, or None."""
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(path.stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path) -> dict[str, Any]:
    """Read a sidecar file, which must hold one JSON or YAML mapping."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"{path}: metadata sidecar cannot be read: {exc}") from exc

    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TranscriptError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from exc
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise TranscriptError(f"{path}: {where}invalid YAML: {exc}") from exc

    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TranscriptError(
            f"{path}: metadata sidecar contains a {type(data).__name__}; "
            'it must be a mapping such as {"call_id": "c-17", "agent_id": "a-4"}'
        )
    return {str(key): value for key, value in data.items()}


def _duration_from_turns(turns: Sequence[Turn]) -> float | None:
    """Return the last time any turn ends (or starts), in seconds; None when no turn has times."""
    times = [t for turn in turns for t in (turn.start, turn.end) if t is not None]
    return round(max(times), 3) if times else None


def build_metadata(
    layers: Sequence[Mapping[str, Any]],
    turns: Sequence[Turn],
    default_call_id: str,
) -> dict[str, Any]:
    """Merge metadata layers (later ones win) and fill ``call_id`` and ``duration`` when absent."""
    metadata: dict[str, Any] = {}
    for layer in layers:
        metadata.update(layer)

    call_id = metadata.get("call_id")
    metadata["call_id"] = str(call_id) if call_id not in (None, "") else default_call_id

    if metadata.get("duration") is None:
        duration = _duration_from_turns(turns)
        if duration is not None:
            metadata["duration"] = duration
    return metadata

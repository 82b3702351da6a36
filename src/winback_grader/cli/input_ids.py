"""Warn when two input files of one grade command give the same transcript id."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SeenIds"]


class SeenIds:
    """The first file that gave each transcript id, in the order the files are read.

    A call exported twice, or two calls with one ``call_id`` in their metadata, would give two
    scorecards under one id: resuming, ``--explain`` and the per-representative summary could
    not tell them apart.
    """

    def __init__(self) -> None:
        self._first: dict[str, Path] = {}

    def duplicate_warning(self, transcript_id: str, path: Path) -> str | None:
        """Record the file of ``transcript_id``; return a warning when an earlier file had it."""
        first = self._first.setdefault(transcript_id, path)
        if first == path:
            return None
        return (
            f"warning: {path}: transcript id {transcript_id!r} is also the id of {first}; both "
            "are graded, so the results contain two scorecards with that id. Give each call its "
            "own call_id in its metadata, or leave out the copy"
        )

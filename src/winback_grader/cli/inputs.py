"""Read the grade command's input files: report the unreadable ones and repeated transcript ids."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rich.console import Console

from ..errors import WinbackGraderError
from ..transcript import Transcript, load_transcript

__all__ = ["InputReader", "SeenIds"]


class InputReader:
    """A reader of input files that yields one transcript at a time, for streaming runs.

    A file that cannot be read is reported on ``console`` and counted, and the others are still
    read. A transcript id that an earlier file already gave is reported, and both are kept.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.unreadable = 0
        """Files that could not be read so far."""
        self._seen = SeenIds()

    def read(self, paths: Iterable[Path]) -> Iterator[Transcript]:
        """Yield the transcript of each readable file, in order."""
        for path in paths:
            try:
                transcript = load_transcript(path)
            # Readers raise TranscriptError for bad input. ValueError also catches a parse error
            # that a reader let through, so one bad file never stops the batch.
            except (WinbackGraderError, ValueError) as exc:
                # TranscriptError messages start with the file already; others get it prefixed.
                message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
                self._print(f"error: {message}")
                self.unreadable += 1
                continue
            warning = self._seen.duplicate_warning(transcript.id, path)
            if warning is not None:
                self._print(warning)
            yield transcript

    def _print(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False, soft_wrap=True)


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

"""The JSON Lines results file of a batch run, and resuming a run that was killed part-way.

Each line is one complete Scorecard written in a single ``write`` call that ends with the
newline, so a line without its newline is what a killed process left half-written: resuming
cuts it off and grades that transcript again.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from .errors import ConfigError
from .scorecard import Scorecard

__all__ = ["CompletedResults", "ResultsFile"]


@dataclass
class CompletedResults:
    """The scorecards an earlier run already wrote to the results file."""

    counts: Counter[str] = field(default_factory=Counter)
    """How many scorecards each transcript id has; a transcript graded twice counts 2."""
    truncated_bytes: int = 0
    """Bytes of a half-written last line that were cut off."""

    @property
    def total(self) -> int:
        """The number of complete scorecards found."""
        return sum(self.counts.values())

    def take(self, transcript_id: str) -> bool:
        """Mark one scorecard of this transcript as reused; False when none is left to reuse."""
        if self.counts[transcript_id] <= 0:
            return False
        self.counts[transcript_id] -= 1
        return True


class ResultsFile:
    """A ``.jsonl`` file of scorecards, one per line, that a resumed run reads and appends to."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        """The results file."""
        self._handle: IO[str] | None = None

    def load_completed(
        self, *, rubric_id: str, rubric_version: str, model: str | None
    ) -> CompletedResults:
        """Read the complete lines of an earlier run and cut off a half-written last line.

        Raises ConfigError when a line is not a Scorecard, or was graded with another rubric
        or model: resuming would then mix two runs in one file.
        """
        completed = CompletedResults()
        if not self.path.exists():
            return completed

        data = self.path.read_bytes()
        complete_end = data.rfind(b"\n") + 1
        if complete_end < len(data):
            # The last line has no newline: the process died while writing it.
            completed.truncated_bytes = len(data) - complete_end
            with self.path.open("r+b") as handle:
                handle.truncate(complete_end)

        expected = (rubric_id, rubric_version, model)
        for number, line in enumerate(data[:complete_end].splitlines(), start=1):
            if not line.strip():
                continue
            scorecard = self._parse_line(line, number)
            found = (scorecard.rubric_id, scorecard.rubric_version, scorecard.model)
            if found != expected:
                raise ConfigError(
                    f"{self.path}: line {number} was graded with rubric {found[0]!r} version "
                    f"{found[1]!r} and {_engine_name(found[2])}, but this run uses rubric "
                    f"{expected[0]!r} version {expected[1]!r} and {_engine_name(expected[2])}; "
                    "pass another --out file, or delete this one to grade everything again"
                )
            completed.counts[scorecard.transcript_id] += 1
        return completed

    def _parse_line(self, line: bytes, number: int) -> Scorecard:
        try:
            return Scorecard.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(
                f"{self.path}: line {number} is not a scorecard ({first['msg']}); "
                "resume only appends to a results file that this program wrote: "
                "pass another --out file, or delete this one to grade everything again"
            ) from None

    def append(self, scorecard: Scorecard) -> None:
        """Write one scorecard as one line and flush it, so a killed run keeps finished lines."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(scorecard.model_dump_json() + "\n")
        # flush() hands the line to the OS, which keeps it when this process is killed.
        # NOTE: no fsync, so a power loss may still lose the last lines.
        self._handle.flush()

    def close(self) -> None:
        """Close the file; appending again reopens it."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _engine_name(model: str | None) -> str:
    # Scorecards of the offline engine store model=None, which reads as a bug in a message.
    return f"model {model!r}" if model is not None else "the offline engine"

"""The JSON Lines results file of a batch run, and resuming a run that was killed part-way.

Each line is one complete Scorecard written in a single ``write`` call that ends with the
newline, so a line without its newline is what a killed process left half-written: resuming
cuts it off and grades that transcript again.

``ResultsFile.set_aside_error_lines`` moves the lines whose scorecards contain error grades
into a sidecar file, so that a resumed run grades those transcripts again.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from .errors import ConfigError
from .scorecard import Scorecard, Usage

__all__ = ["CompletedResults", "ResultsFile", "SetAsideLines", "is_results_file"]

logger = logging.getLogger(__name__)


@dataclass
class CompletedResults:
    """The scorecards an earlier run already wrote to the results file."""

    counts: Counter[str] = field(default_factory=Counter)
    """How many scorecards each transcript id has; a transcript graded twice counts 2."""
    truncated_bytes: int = 0
    """Bytes of a half-written last line that were cut off."""
    complete_bytes: int = 0
    """Size of the file's complete lines, which is the file's size after loading."""
    error_lines: dict[int, str] = field(default_factory=dict)
    """Transcript id by line index (0-based) of the scorecards that contain an error grade."""
    usage: Usage = field(default_factory=Usage)
    """Model requests, tokens and cost summed over the complete lines read; moving error lines
    out with ``set_aside_error_lines`` leaves it unchanged."""
    reused: Counter[str] = field(default_factory=Counter)
    """How many scorecards of each transcript id ``take`` marked as reused."""

    @property
    def total(self) -> int:
        """The number of complete scorecards found."""
        return sum(self.counts.values())

    def take(self, transcript_id: str) -> bool:
        """Mark one scorecard of this transcript as reused; False when none is left to reuse."""
        if self.counts[transcript_id] <= 0:
            return False
        self.counts[transcript_id] -= 1
        self.reused[transcript_id] += 1
        return True

    def reused_error_lines(self) -> int:
        """Return how many lines with error grades belong to transcripts that were reused."""
        return sum(1 for transcript_id in self.error_lines.values() if self.reused[transcript_id])


@dataclass(frozen=True)
class SetAsideLines:
    """The lines with error grades that were moved out of the results file."""

    count: int
    """Lines moved."""
    path: Path
    """The sidecar file that contains them."""


class ResultsFile:
    """A ``.jsonl`` file of scorecards, one per line, that a resumed run reads and appends to."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        """The results file."""
        self._handle: IO[str] | None = None

    def load_completed(
        self,
        *,
        rubric_id: str,
        rubric_version: str,
        model: str | None,
        cut_tail: bool = True,
    ) -> CompletedResults:
        """Read the complete lines of an earlier run and cut off a half-written last line.

        Raises ConfigError when a line is not a Scorecard, or was graded with another rubric
        or model: resuming would then mix two runs in one file. Every line is checked before
        anything is cut off, so a rejected file stays byte for byte as it was. With
        ``cut_tail=False`` the file is only read, as a dry run needs.
        """
        completed = CompletedResults()
        if not self.path.exists():
            return completed

        data = self.path.read_bytes()
        complete_end = data.rfind(b"\n") + 1
        expected = (rubric_id, rubric_version, model)
        for index, line in enumerate(data[:complete_end].splitlines()):
            if not line.strip():
                continue
            scorecard = self._parse_line(line, index + 1)
            self._check_run(scorecard, index + 1, expected)
            completed.counts[scorecard.transcript_id] += 1
            completed.usage = completed.usage + scorecard.usage
            if scorecard.errors:
                completed.error_lines[index] = scorecard.transcript_id

        if complete_end < len(data):
            # The last line has no newline: the process died while writing it.
            tail = data[complete_end:]
            self._check_tail(tail, data.count(b"\n") + 1, expected)
            completed.truncated_bytes = len(tail)
            if cut_tail:
                with self.path.open("r+b") as handle:
                    handle.truncate(complete_end)
        completed.complete_bytes = complete_end
        return completed

    def _check_run(
        self, scorecard: Scorecard, number: int, expected: tuple[str, str, str | None]
    ) -> None:
        found = (scorecard.rubric_id, scorecard.rubric_version, scorecard.model)
        if found != expected:
            raise ConfigError(
                f"{self.path}: line {number} was graded with rubric {found[0]!r} version "
                f"{found[1]!r} and {_engine_name(found[2])}, but this run uses rubric "
                f"{expected[0]!r} version {expected[1]!r} and {_engine_name(expected[2])}; "
                "pass another --out file, or delete this one to grade everything again"
            )

    def _check_tail(self, tail: bytes, number: int, expected: tuple[str, str, str | None]) -> None:
        """Raise ConfigError unless ``tail`` is what a killed run of this program leaves."""
        # A last line that still parses was not cut off, so it must match this run too.
        try:
            scorecard = Scorecard.model_validate_json(tail)
        except ValidationError:
            if _starts_like_scorecard(tail):
                return
            raise ConfigError(
                f"{self.path}: line {number} has no newline and is not the start of a "
                "scorecard; resume only appends to a results file that this program wrote: "
                "pass another --out file, or delete this one to grade everything again"
            ) from None
        self._check_run(scorecard, number, expected)

    def set_aside_error_lines(
        self,
        completed: CompletedResults,
        *,
        transcript_ids: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> SetAsideLines | None:
        """Move the lines whose scorecards contain an error grade into a sidecar file.

        ``completed`` is what ``load_completed`` returned for this file. The moved lines leave
        its counts, so a resumed run grades those transcripts again. With ``transcript_ids``
        only the lines of those transcripts move, and the other error lines stay in
        ``completed.error_lines``. Returns None when no line is moved, and then nothing is
        written.

        The sidecar ``<results>.retried-<UTC time>.jsonl`` is written and synced to disk before
        the results file is replaced by a copy without those lines, so a process killed at any
        point leaves every line in the results file, the sidecar or both. When the results file
        is a symlink, its target is rewritten and the sidecar goes beside the target. Raises
        ConfigError when the file changed since it was loaded, and OSError when a write fails;
        the results file is then unchanged.
        """
        moving = {
            index: transcript_id
            for index, transcript_id in completed.error_lines.items()
            if transcript_ids is None or transcript_id in transcript_ids
        }
        if not moving:
            return None
        # Replacing the path itself would turn a symlink into a regular file and leave its
        # target as it was.
        target = self.path.resolve()
        data = target.read_bytes()
        if len(data) != completed.complete_bytes:
            raise ConfigError(
                f"{self.path} changed while this run was reading it, so another run may be "
                "writing to it; wait for that run to end, then run this command again"
            )

        # keepends=True keeps each line byte for byte, as the sidecar and the rewrite need it.
        lines = data.splitlines(keepends=True)
        moved_lines = [lines[index] for index in sorted(moving)]
        kept_indexes = [index for index in range(len(lines)) if index not in moving]
        kept_lines = [lines[index] for index in kept_indexes]
        sidecar = _write_sidecar(target, moved_lines, now or datetime.now(timezone.utc))
        _replace_contents(target, kept_lines)

        for transcript_id in moving.values():
            completed.counts[transcript_id] -= 1
        completed.complete_bytes = sum(len(line) for line in kept_lines)
        # The error lines left behind keep their ids under their new line indexes.
        completed.error_lines = {
            new_index: completed.error_lines[old_index]
            for new_index, old_index in enumerate(kept_indexes)
            if old_index in completed.error_lines
        }
        return SetAsideLines(count=len(moved_lines), path=sidecar)

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


def _write_sidecar(path: Path, lines: list[bytes], now: datetime) -> Path:
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = f"{path.name}.retried-{stamp}"
    # Two runs in the same second get -2, -3 ... because mode "xb" never overwrites a file.
    for attempt in itertools.count(1):
        suffix = "" if attempt == 1 else f"-{attempt}"
        sidecar = path.with_name(f"{base}{suffix}.jsonl")
        try:
            handle = sidecar.open("xb")
        except FileExistsError:
            continue
        try:
            with handle:
                handle.writelines(lines)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            # A partial sidecar would look complete. Deleting it loses nothing, because
            # the results file is rewritten only after the sidecar is complete.
            sidecar.unlink(missing_ok=True)
            raise
        _sync_folder(sidecar.parent)
        return sidecar
    raise AssertionError("unreachable: itertools.count() never ends")


def _replace_contents(path: Path, lines: list[bytes]) -> None:
    """Replace the file with these lines atomically: a reader sees the old file or the new one."""
    # The temporary file sits in the same folder because os.replace is atomic only within
    # one file system.
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.writelines(lines)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file readable by its owner only; keep the results file's mode.
        shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    try:
        _sync_folder(path.parent)
    except OSError as exc:
        # The new contents are in place, so the run goes on. Only a power loss could now
        # bring back the old file.
        logger.warning("cannot sync the folder of %s after replacing it: %s", path, exc)


def _sync_folder(folder: Path) -> None:
    # Syncing the folder makes a new or renamed file's entry survive a power loss too.
    # NOTE: Windows cannot open a folder with os.open, so there the entry is not synced.
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# Scorecard.model_dump_json starts every line with this, because transcript_id is the first field.
_SCORECARD_START = b'{"transcript_id":'


def is_results_file(path: Path) -> bool:
    """Return whether ``path`` is a file whose first line starts like a scorecard line."""
    try:
        with path.open("rb") as handle:
            start = handle.read(64)
    except OSError:
        return False
    return bool(start.strip()) and _starts_like_scorecard(start)


def _starts_like_scorecard(tail: bytes) -> bool:
    # JSON allows whitespace between tokens, so it is dropped before comparing.
    compact = re.sub(rb"\s+", b"", tail[:64])
    return compact.startswith(_SCORECARD_START) or _SCORECARD_START.startswith(compact)


def _engine_name(model: str | None) -> str:
    # Scorecards of the offline engine store model=None, which reads as a bug in a message.
    return f"model {model!r}" if model is not None else "the offline engine"

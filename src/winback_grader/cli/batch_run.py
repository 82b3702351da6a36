"""The grade command's batch paths: streaming to a resumable ``.jsonl`` file, and ``--dry-run``.

With ``--out FILE --format jsonl`` each scorecard is appended to FILE as soon as its call is
graded, and transcripts are read one window at a time, so memory stays bounded however many
files are given. Started again with the same arguments, the command keeps FILE's complete
lines, cuts off a half-written last line and grades only the calls FILE does not contain yet.
The run that starts FILE records its strategy, mode and prompt templates beside it
(``run_settings``), and a resumed run with other settings stops before it changes FILE.

A complete line counts as done even when some of its criteria ended in error, so a plain
resumed run does not retry them. ``--retry-errors`` first moves the lines that contain error
grades into a sidecar file beside FILE and grades those calls again. It moves only the lines of
this run's input transcripts, because a moved line of another call would leave that call out of
FILE. The criteria of those calls that were graded come back from the grade cache, so only the
criteria in error are sent to the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from rich.console import Console

from ..batch import COST_LIMIT_ERROR, BatchRun, RunTotals
from ..config import GraderConfig
from ..errors import ConfigError, WinbackGraderError
from ..estimate import RunEstimate, estimate_run
from ..grading import run_sync
from ..results_file import CompletedResults, ResultsFile
from ..rubric import Rubric
from ..run_settings import check_settings, grading_settings, settings_path, write_settings
from ..scorecard import Scorecard
from ..transcript import Transcript, load_transcript
from .inputs import InputReader

__all__ = ["JsonlRun", "dry_run", "grade_list", "grade_to_jsonl", "retry_errors_problem"]


class JsonlRun(NamedTuple):
    """The outcome of grading into a results file."""

    totals: RunTotals
    """Counts and spending of the scorecards this run wrote."""
    unreadable: int
    """Input files that could not be read."""
    kept_error_lines: int
    """Lines with error grades that an earlier run wrote for this run's input transcripts."""


def _print(console: Console, message: str) -> None:
    console.print(message, markup=False, highlight=False, soft_wrap=True)


async def grade_list(
    transcripts: Sequence[Transcript],
    rubric: Rubric,
    config: GraderConfig,
    on_done: Callable[[Scorecard], None] | None = None,
) -> tuple[list[Scorecard], RunTotals]:
    """Grade loaded transcripts in one batch run; return scorecards in input order, and totals."""
    results: list[Scorecard | None] = [None] * len(transcripts)
    with BatchRun(rubric, config) as run:
        async for index, scorecard in run.stream(transcripts):
            results[index] = scorecard
            if on_done is not None:
                on_done(scorecard)
    return [scorecard for scorecard in results if scorecard is not None], run.totals


def retry_errors_problem(
    out: Path | None, output_format: str, *, cache: bool, explain: bool
) -> str | None:
    """Return why ``--retry-errors`` cannot be used with the other options, or None when it can."""
    if out is None:
        return (
            "--retry-errors grades again the calls whose lines in a results file contain "
            "error grades; pass --out FILE.jsonl"
        )
    if output_format != "jsonl":
        return (
            f"--retry-errors needs --format jsonl, the resumable results file, but the format "
            f"is {output_format!r}; pass --format jsonl or an --out file ending in .jsonl"
        )
    if explain:
        return (
            "--retry-errors cannot be combined with --explain, which writes one call's "
            "explanation instead of a results file; drop one of them"
        )
    if not cache:
        return (
            "--retry-errors cannot be combined with --no-cache: the grade cache is what keeps "
            "the criteria already graded in those lines from being paid for again; drop --no-cache"
        )
    if not out.exists():
        # Without this check the run would find no error lines and grade every call.
        return (
            f"results file {str(out)!r} not found; --retry-errors needs the results file of an "
            "earlier run (check the path)"
        )
    return None


def grade_to_jsonl(
    files: Sequence[Path],
    rubric: Rubric,
    config: GraderConfig,
    out: Path,
    console: Console,
    *,
    retry_errors: bool = False,
) -> JsonlRun:
    """Grade the files into ``out``, resuming what an earlier run wrote there.

    With ``retry_errors`` the lines with error grades are first moved out of ``out`` into a
    sidecar file, and their calls are graded again. Raises ConfigError when ``out`` contains
    results of another rubric, model, strategy, mode or prompt templates, before any call is
    graded.
    """
    results = ResultsFile(out)
    settings = grading_settings(config)
    started = _has_results(out)
    # Checked before anything in the file is cut off or moved.
    if started and not check_settings(out, settings):
        _print(
            console,
            f"{out}: no settings file {settings_path(out)} from the run that started it (an "
            "older version, or it was deleted), so its strategy, mode and prompts are not checked",
        )
    completed = _load_completed(results, rubric, config)
    if completed.truncated_bytes:
        _print(console, f"{out}: cut off a half-written last line; that call is graded again")
    if retry_errors:
        input_ids = _input_ids(files)
        _set_aside_error_lines(results, completed, console, input_ids)
    if completed.total:
        _print(console, f"{out}: resuming; {completed.total} call(s) already in the file are kept")
    if completed.error_lines and not retry_errors:
        _print(
            console,
            f"{out}: {len(completed.error_lines)} kept line(s) contain criteria in error; "
            "pass --retry-errors to grade them again",
        )

    # A file that cannot be read is reported and the others are still graded, as the grade
    # command does without --out.
    reader = InputReader(console)
    # Written just before the first scorecard, so a run that stops earlier leaves no settings
    # file behind. A file that had lines when the run started keeps the settings it has.
    settings_due = not started

    async def run_all() -> RunTotals:
        nonlocal settings_due
        with BatchRun(rubric, config, completed=completed) as run, results:
            async for _, scorecard in run.stream(reader.read(files)):
                if settings_due:
                    write_settings(out, settings)
                    settings_due = False
                results.append(scorecard)
                for line in criterion_error_lines(scorecard):
                    _print(console, line)
        return run.totals

    totals = run_sync(run_all())
    return JsonlRun(totals, reader.unreadable, completed.reused_error_lines())


def criterion_error_lines(scorecard: Scorecard) -> list[str]:
    """Return one ``error:`` line per criterion in error, except those of the cost limit.

    Criteria that the cost limit left ungraded are counted in the run's summary instead, so a
    run that stops early does not print one line for each criterion it did not send.
    """
    return [
        f"error: {scorecard.transcript_id}: {grade.criterion_id}: {grade.error}"
        for grade in scorecard.errors
        if not (grade.error or "").startswith(COST_LIMIT_ERROR)
    ]


def cost_limit_hint(totals: RunTotals, config: GraderConfig, out: Path | None) -> str | None:
    """Return how to grade the criteria that the cost limit left ungraded, or None."""
    if not totals.not_graded:
        return None
    reached = (
        f"{totals.not_graded} criteria were not graded because --max-cost "
        f"{config.max_cost_usd:g} was reached."
    )
    if out is not None and not config.cache:
        return (
            f"{reached} Run the same command without --no-cache, with --retry-errors and a "
            f"higher --max-cost, to grade them. The lines of {out} without errors are kept. The "
            "criteria graded in lines with errors were not cached, so their calls are sent and "
            "paid again"
        )
    if out is not None:
        return (
            f"{reached} Run the same command with --retry-errors and a higher --max-cost to "
            f"grade them. The limit counts each run's own spending. The lines of {out} without "
            "errors are kept, and the criteria graded in lines with errors come from the cache"
        )
    if config.cache:
        rerun = "With the cache on, a rerun sends only what was not graded"
    else:
        # --no-cache neither reads nor writes the cache, so nothing of this run is in it.
        rerun = "This run wrote nothing to the cache, so a rerun sends every call again"
    return f"{reached} {rerun}; pass --out FILE.jsonl to keep the results of each run"


def _input_ids(files: Sequence[Path]) -> set[str]:
    """Read the files and return the transcript ids of those that can be read."""
    ids: set[str] = set()
    for path in files:
        try:
            ids.add(load_transcript(path).id)
        # The run reads every file again and reports there the ones that cannot be read.
        except (WinbackGraderError, ValueError):
            continue
    return ids


def _set_aside_error_lines(
    results: ResultsFile, completed: CompletedResults, console: Console, input_ids: set[str]
) -> None:
    # Moved before any call is sent, so the run appends the new scorecards of those calls
    # to a file that no longer contains their old lines. Lines of calls that this run does not
    # grade stay, because moving them would drop those calls from the results file.
    try:
        moved = results.set_aside_error_lines(completed, transcript_ids=input_ids)
    except OSError as exc:
        raise ConfigError(
            f"cannot move the lines with error grades out of {str(results.path)!r}: "
            f"{exc.strerror or exc}; the file is unchanged. Check that its folder is writable "
            "and has free space, then run the same command again"
        ) from exc
    left = len(completed.error_lines)
    if moved is None and not left:
        _print(console, f"{results.path}: no line has error grades; nothing to grade again")
    elif moved is None:
        _print(
            console,
            f"{results.path}: no line of this run's calls has error grades; nothing to grade again",
        )
    else:
        _print(
            console,
            f"{results.path}: took out {moved.count} line(s) with error grades to grade those "
            f"calls again; the old lines are kept in {moved.path}",
        )
    if left:
        _print(
            console,
            f"{results.path}: left {left} line(s) with error grades in place because their "
            "calls are not among this run's input transcripts",
        )


def dry_run(
    transcripts: Sequence[Transcript],
    rubric: Rubric,
    config: GraderConfig,
    results_path: Path | None = None,
    *,
    retry_errors: bool = False,
) -> str:
    """Return the dry-run summary: calls, tokens and cost; nothing is sent.

    Transcripts that ``results_path`` already contains are left out of the estimate, because
    the resumed run skips them. With ``retry_errors`` the transcripts whose lines contain
    criteria in error are counted in full, as the run grades them again. The file's scorecards
    give the mean completion tokens per request, so the estimate includes completion tokens
    when the file has any. The file is only read. Raises ConfigError when the real run would
    reject the file.
    """
    reused = 0
    retried = 0
    completed = None
    if results_path is not None:
        if _has_results(results_path):
            check_settings(results_path, grading_settings(config))
        completed = _load_completed(ResultsFile(results_path), rubric, config, cut_tail=False)
        error_ids = set(completed.error_lines.values()) if retry_errors else set()
        remaining = [t for t in transcripts if t.id in error_ids or not completed.take(t.id)]
        reused = len(transcripts) - len(remaining)
        retried = sum(1 for t in remaining if t.id in error_ids)
        transcripts = remaining
    estimate = estimate_run(transcripts, rubric, config)
    if completed is not None and completed.usage.calls and not config.is_offline:
        # The settings check above makes the file's requests comparable: same model, rubric,
        # strategy, mode and prompts.
        usage = completed.usage
        estimate.add_completion_estimate(
            usage.completion_tokens / usage.calls, f"{usage.calls} request(s) in {results_path}"
        )
    summary = estimate.summary()
    if reused:
        summary += f"; {reused} transcript(s) already in {results_path} are skipped"
    if retried:
        summary += (
            f"; {retried} transcript(s) with criteria in error in {results_path} are "
            "counted in full, though their criteria graded there come from the cache"
        )
    elif completed is not None and completed.error_lines and not retry_errors:
        summary += (
            f"; {len(completed.error_lines)} of the lines in {results_path} contain criteria in "
            "error, which only a run with --retry-errors grades again"
        )
    return summary + _cost_limit_note(estimate, config)


def _cost_limit_note(estimate: RunEstimate, config: GraderConfig) -> str:
    """Return the dry run's note on ``--max-cost``, or an empty string without a limit."""
    limit = config.max_cost_usd
    if limit is None or config.is_offline or estimate.cost_usd is None:
        return ""
    if estimate.cost_usd > limit:
        return (
            f"; the estimated cost is above --max-cost ${limit:.4f}, so the run would stop "
            "before it grades every call"
        )
    if estimate.completion_tokens is None:
        # A prompt-only estimate leaves out the completion cost, so a limit above it can be reached.
        return (
            f"; with completion tokens the run can still reach --max-cost ${limit:.4f}. Pass "
            "--out with the results file of an earlier run of these settings to estimate them"
        )
    return ""


def _load_completed(
    results: ResultsFile, rubric: Rubric, config: GraderConfig, *, cut_tail: bool = True
) -> CompletedResults:
    """Load the scorecards of ``results`` that a run of this rubric and model may reuse."""
    return results.load_completed(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        model=None if config.is_offline else config.model,
        cut_tail=cut_tail,
    )


def _has_results(path: Path) -> bool:
    """Return whether an earlier run already wrote to the results file ``path``."""
    return path.exists() and path.stat().st_size > 0

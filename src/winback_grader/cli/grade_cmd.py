"""``winback-grader grade PATH...``: grade transcript files and print or write the scorecards.

Exit status: 0 when every call was graded. 1 when some criteria ended in error, with every
result still written. 2 on bad usage or input (an unreadable file, an invalid rubric or
option), and then the readable files are still graded and written.
"""

from __future__ import annotations

import glob
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import report
from ..analytics import summarize_by_agent
from ..batch import RunTotals, check_cost_limit
from ..config import GraderConfig, ModeSetting
from ..errors import WinbackGraderError
from ..grading import resolve_rubric, run_sync
from ..model_check import check_api_key
from ..prompts import PromptRenderer
from ..rubric import Rubric
from ..scorecard import Scorecard
from ..transcript import Transcript
from . import batch_run
from .explain_call import explain_out_problem, select_call
from .inputs import InputReader
from .out_path import format_for_out, out_path_problem, overwrite_problem

__all__ = ["expand_paths", "grade_command", "grade_loaded"]

# Extensions of the transcript formats load_transcript reads; folders are searched for these.
TRANSCRIPT_SUFFIXES = (".txt", ".json", ".vtt", ".srt", ".csv", ".tsv")
# Sidecar metadata files sit beside transcripts and are not transcripts themselves.
SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")
FORMATS = ("table", "json", "jsonl", "csv")


def grade_command(
    paths: list[str] = typer.Argument(
        ...,
        help="Transcript files, folders (searched recursively) or glob patterns ('calls/*.vtt').",
    ),
    rubric: str = typer.Option(
        "winback", "--rubric", help="A shipped rubric's name or a rubric YAML file."
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="A litellm model string, or 'offline'. Default: $WINBACK_GRADER_MODEL, else offline.",
    ),
    api_base: str | None = typer.Option(
        None,
        "--api-base",
        help="Base URL of an OpenAI-compatible server (vLLM, llama.cpp, Ollama), ending in /v1.",
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds one model call may take. Default: 60."
    ),
    output_format: str | None = typer.Option(
        None,
        "--format",
        help="Output format: table, json, jsonl or csv. Default: the one --out's extension "
        "names (.json, .jsonl, .csv), else table.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the output to this file instead of stdout."
    ),
    retry_errors: bool = typer.Option(
        False,
        "--retry-errors",
        help="With --out FILE.jsonl: grade again the calls whose lines contain criteria in "
        "error, after moving those lines to FILE.retried-<UTC time>.jsonl. Needs the cache.",
    ),
    explain_call: str | None = typer.Option(
        None,
        "--explain",
        metavar="CALL_ID",
        help="Print one call's scorecard with every criterion's reasoning and evidence.",
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Neither read nor write the on-disk grade cache."
    ),
    cache_dir: Path | None = typer.Option(
        None,
        "--cache-dir",
        help="Grade cache folder. Default: $WINBACK_GRADER_CACHE_DIR, else the user cache folder.",
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print the model calls, estimated prompt tokens and cost, and send nothing.",
    ),
    max_cost: float | None = typer.Option(
        None,
        "--max-cost",
        min=0,
        help="Stop sending model calls once this many US dollars are spent; report the rest.",
    ),
    concurrency: int = typer.Option(
        8,
        "--concurrency",
        min=1,
        help="Model calls in flight at once, across all transcripts.",
    ),
    strategy: str = typer.Option(
        "criterion",
        "--strategy",
        help="Criteria per model call: criterion (one), section (one section's) or rubric (all).",
    ),
    mode: ModeSetting = typer.Option(
        "auto",
        "--mode",
        help="Structured-output mode of the judge model: tools, json_schema, json (the schema "
        "in the prompt), or auto (what litellm reports the model supports).",
    ),
    prompt_dir: Path | None = typer.Option(
        None,
        "--prompt-dir",
        metavar="DIR",
        help="A folder of prompt templates (system.j2, transcript.j2, criterion.j2) that replaces "
        "the shipped prompts. Only a judge model reads them; the offline engine does not.",
    ),
) -> None:
    """Grade transcripts against a rubric and show the scorecards."""
    errors = Console(stderr=True)
    output_format = format_for_out(output_format, out)
    if output_format not in FORMATS:
        choices = ", ".join(FORMATS)
        errors.print(f"error: invalid --format {output_format!r}; choose one of: {choices}")
        raise typer.Exit(2)
    problem = out_path_problem(out) if out is not None else None
    if problem is None and out is not None and not dry_run:
        problem = overwrite_problem(out, output_format)
    if problem is None and retry_errors:
        explain = explain_call is not None
        problem = batch_run.retry_errors_problem(
            out, output_format, cache=not no_cache, explain=explain
        )
    if problem is None and explain_call is not None:
        problem = explain_out_problem(out, output_format)
    if problem is not None:
        errors.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)

    # Bad usage (rubric, model options, paths that match nothing) stops before any grading.
    try:
        loaded_rubric = resolve_rubric(rubric)
        # Options left unset keep GraderConfig's defaults.
        model_options: dict[str, Any] = {"api_base": api_base}
        if timeout is not None:
            model_options["timeout"] = timeout
        config = GraderConfig.from_options(
            model,
            None,
            **model_options,
            cache=not no_cache,
            cache_dir=cache_dir,
            max_cost_usd=max_cost,
            concurrency=concurrency,
            strategy=strategy,
            mode=mode,
            prompt_dir=prompt_dir,
        )
        _check_prompt_dir(config)
        # Checked here, before a resumed run's results file is touched. A dry run checks it
        # too, because it predicts what the real run does.
        check_cost_limit(config)
        # A dry run sends nothing, so it needs no key.
        if not config.is_offline and not dry_run:
            has_key = config.api_key is not None
            check_api_key(config.model, api_key_given=has_key, environ=os.environ)
    except WinbackGraderError as exc:
        errors.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if config.is_offline and max_cost is not None:
        message = "note: --max-cost has no effect on the offline engine, which sends no paid calls"
        errors.print(message, markup=False, highlight=False, soft_wrap=True)
    files, missing = expand_paths(paths)
    if out is not None:
        # A results file written into a graded folder is output, not a call to grade again.
        files = [file for file in files if file.resolve() != out.resolve()]
    for pattern in missing:
        if Path(pattern).is_dir():
            suffixes = ", ".join(TRANSCRIPT_SUFFIXES)
            message = f"error: {pattern}: the folder contains no transcript files ({suffixes})"
        else:
            message = f"error: {pattern}: no such file, folder or glob match"
        errors.print(message, markup=False, highlight=False)
    if not files:
        errors.print("error: no transcript files to grade", markup=False, highlight=False)
        raise typer.Exit(2)

    # --out FILE --format jsonl streams, so memory stays bounded, and resumes a killed run.
    if out is not None and output_format == "jsonl" and explain_call is None and not dry_run:
        status = _grade_to_jsonl(
            files, loaded_rubric, config, out, errors, len(missing), retry_errors=retry_errors
        )
        raise typer.Exit(status)

    # A file that cannot be read is reported, and the other files are still graded.
    reader = InputReader(errors)
    transcripts = list(reader.read(files))
    unreadable = len(missing) + reader.unreadable

    # Only the explained call is graded. Reading the files sent nothing, so an unknown id
    # stops the command before any model call.
    if explain_call is not None:
        try:
            transcripts = select_call(transcripts, explain_call)
        except LookupError as exc:
            errors.print(f"error: {exc.args[0]}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    if dry_run:
        try:
            # Without --dry-run this command would resume the file and skip what it contains.
            resumed = out if out is not None and output_format == "jsonl" else None
            summary = batch_run.dry_run(
                transcripts, loaded_rubric, config, resumed, retry_errors=retry_errors
            )
        except WinbackGraderError as exc:
            errors.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        typer.echo(summary)
        raise typer.Exit(2 if unreadable else 0)

    try:
        scorecards, totals = _grade_with_progress(transcripts, loaded_rubric, config, errors)
    except WinbackGraderError as exc:  # options that only the batch run checks, such as --max-cost
        errors.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        hint = "pass --out FILE.jsonl to keep graded calls and resume an interrupted run"
        errors.print(f"interrupted: no output was written; {hint}", markup=False, soft_wrap=True)
        raise typer.Exit(130) from None

    try:
        _write_output(scorecards, loaded_rubric, output_format, out, explain_call)
    except LookupError as exc:
        errors.print(f"error: {exc.args[0]}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        if out is None:
            raise
        # The calls are graded already, so the output goes to stdout instead of being lost.
        message = f"error: cannot write --out {str(out)!r}: {exc.strerror or exc}"
        errors.print(f"{message}; the output follows on stdout", markup=False, soft_wrap=True)
        _write_output(scorecards, loaded_rubric, output_format, None, explain_call)
        raise typer.Exit(2) from None

    for card in scorecards:
        for line in batch_run.criterion_error_lines(card):
            errors.print(line, markup=False, highlight=False)
    if not config.is_offline:
        errors.print(totals.summary(), markup=False, highlight=False, soft_wrap=True)
    cost_hint = batch_run.cost_limit_hint(totals, config, None)
    if cost_hint is not None:
        errors.print(cost_hint, markup=False, highlight=False, soft_wrap=True)
    if unreadable:
        raise typer.Exit(2)
    if any(card.errors for card in scorecards):
        raise typer.Exit(1)


def _grade_to_jsonl(
    files: Sequence[Path],
    rubric: Rubric,
    config: GraderConfig,
    out: Path,
    console: Console,
    unreadable: int,
    *,
    retry_errors: bool,
) -> int:
    """Stream the scorecards to ``out`` and return the exit status."""
    # Each scorecard is on disk once graded, so an interrupted or failed run resumes from FILE.
    resume = f"the calls graded so far are kept in {str(out)!r}; run the same command again"
    try:
        outcome = batch_run.grade_to_jsonl(
            files, rubric, config, out, console, retry_errors=retry_errors
        )
    except WinbackGraderError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except OSError as exc:
        message = (
            f"error: cannot write --out {str(out)!r}: {exc.strerror or exc}; make it writable "
            "and run the same command again, which skips the calls already written there"
        )
        console.print(message, markup=False, highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        message = f"interrupted: {resume} to grade the rest"
        console.print(message, markup=False, highlight=False, soft_wrap=True)
        return 130
    console.print(outcome.totals.summary(), markup=False, highlight=False, soft_wrap=True)
    cost_hint = batch_run.cost_limit_hint(outcome.totals, config, out)
    if cost_hint is not None:
        console.print(cost_hint, markup=False, highlight=False, soft_wrap=True)
    if unreadable or outcome.unreadable:
        return 2
    # An input call whose kept line has criteria in error is not fully graded either.
    return 1 if outcome.totals.errors or outcome.kept_error_lines else 0


def _check_prompt_dir(config: GraderConfig) -> None:
    """Raise TemplateError when --prompt-dir is not a folder or lacks a template.

    Grading and --dry-run with a judge model would raise the same error later, and the offline
    engine never would, because it reads no templates. A bad folder is bad usage either way, so
    the command stops here, before any transcript is read.
    """
    if config.prompt_dir is not None:
        PromptRenderer(config.prompt_dir)  # building a renderer loads every template


def expand_paths(patterns: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Expand files, folders and glob patterns into transcript files, in order, without repeats.

    Returns the files and the patterns that matched nothing. Folders and globs contribute the
    files with a transcript extension, sidecar ``.meta.*`` files excluded.
    """
    files: list[Path] = []
    missing: list[str] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            files.append(path)

    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _is_transcript_file(p))
        elif path.is_file():
            found = [path]
        else:
            matched = (Path(p) for p in glob.glob(pattern, recursive=True))
            found = sorted(p for p in matched if p.is_file() and _is_transcript_file(p))
        if not found:
            missing.append(pattern)
        for file in found:
            add(file)
    return files, missing


async def grade_loaded(
    transcripts: Sequence[Transcript],
    rubric: Rubric,
    config: GraderConfig,
    on_done: Callable[[Scorecard], None] | None = None,
) -> list[Scorecard]:
    """Grade loaded transcripts concurrently and return their scorecards in input order.

    ``on_done`` runs after each call is graded, in completion order (it drives the progress bar).
    """
    # One batch run: one set of engines (the offline engine compiles the rubric once) and one
    # concurrency bound over all model calls.
    scorecards, _ = await batch_run.grade_list(transcripts, rubric, config, on_done)
    return scorecards


def _grade_with_progress(
    transcripts: Sequence[Transcript], rubric: Rubric, config: GraderConfig, console: Console
) -> tuple[list[Scorecard], RunTotals]:
    if len(transcripts) <= 1:
        return run_sync(batch_run.grade_list(transcripts, rubric, config))
    progress = Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task("grading", total=len(transcripts))
        return run_sync(
            batch_run.grade_list(
                transcripts, rubric, config, on_done=lambda _card: progress.advance(task)
            )
        )


def _write_output(
    scorecards: Sequence[Scorecard],
    rubric: Rubric,
    output_format: str,
    out: Path | None,
    explain_call: str | None,
) -> None:
    if out is None:
        _render(scorecards, rubric, output_format, explain_call, sys.stdout, color=None)
        return
    buffer = io.StringIO()
    _render(scorecards, rubric, output_format, explain_call, buffer, color=False)
    out.write_text(buffer.getvalue(), encoding="utf-8")


def _render(
    scorecards: Sequence[Scorecard],
    rubric: Rubric,
    output_format: str,
    explain_call: str | None,
    stream: TextIO,
    *,
    color: bool | None,
) -> None:
    if explain_call is not None:
        card = _find_call(scorecards, explain_call)
        _console(stream, color).print(report.explain(card, rubric))
        return
    if output_format == "json":
        report.write_json(scorecards, stream)
    elif output_format == "jsonl":
        report.write_jsonl(scorecards, stream)
    elif output_format == "csv":
        report.write_csv(scorecards, rubric, stream)
    else:
        console = _console(stream, color)
        console.print(report.calls_table(scorecards, rubric))
        if any(card.metadata.get("agent_id") for card in scorecards):
            summaries = summarize_by_agent(scorecards)
            console.print(report.representatives_table(summaries, rubric))
            console.print(report.criterion_means_table(summaries, rubric))


def _find_call(scorecards: Sequence[Scorecard], call_id: str) -> Scorecard:
    for card in scorecards:
        if card.transcript_id == call_id:
            return card
    known = ", ".join(card.transcript_id for card in scorecards) or "none"
    raise LookupError(f"--explain {call_id!r}: no graded call has that id; graded calls: {known}")


def _console(stream: TextIO, color: bool | None) -> Console:
    # A terminal gets colours and its own width. A file or pipe gets plain text 200 columns wide,
    # because rich's default of 80 columns wraps the weakest-criteria cells.
    if color is False or not stream.isatty():
        return Console(file=stream, no_color=True, highlight=False, width=200, force_terminal=False)
    return Console(file=stream, highlight=False)


def _is_transcript_file(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(TRANSCRIPT_SUFFIXES) and not name.endswith(SIDECAR_SUFFIXES)

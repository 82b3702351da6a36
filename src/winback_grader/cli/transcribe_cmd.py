"""``winback-grader transcribe AUDIO...``: save a transcript beside each audio file."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import WinbackGraderError
from ..transcribe import transcribe


def transcribe_command(
    paths: list[Path] = typer.Argument(..., help="Audio files (wav, mp3, m4a ...)."),
    model: str = typer.Option(
        "openai/whisper-1", "--model", help="A litellm transcription model string."
    ),
    api_base: str | None = typer.Option(
        None, "--api-base", help="Base URL of an OpenAI-compatible server."
    ),
    api_key: str | None = typer.Option(
        None,
        "--api-key",
        help="API key; by default litellm reads the provider's usual environment variable.",
    ),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Files transcribed at once."),
    language: str | None = typer.Option(
        None, "--language", help="The spoken language as an ISO-639-1 code, such as 'en'."
    ),
) -> None:
    """Transcribe audio files; each call.wav gets a call.transcript.json that `grade` reads.

    Exit status: 0 when every file was transcribed, 1 when some failed, 2 on bad input.
    """
    try:
        results = transcribe(
            paths,
            model=model,
            api_base=api_base,
            api_key=api_key,
            concurrency=concurrency,
            language=language,
        )
    except WinbackGraderError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    failed = 0
    for result in results:
        if result.transcript is not None:
            typer.echo(f"{result.audio} -> {result.transcript}")
        else:
            failed += 1
            typer.echo(f"{result.audio}: transcription failed: {result.error}", err=True)
    raise typer.Exit(1 if failed else 0)

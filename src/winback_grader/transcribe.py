"""Bulk audio transcription through litellm's transcription API, saved beside each audio file.

Each ``call.wav`` becomes ``call.transcript.json`` in the layout of OpenAI's ``verbose_json``
(``text``, ``segments`` with times, ``language``, ``duration``), which the Whisper reader loads.
Segments keep a ``speaker`` key where the provider returns one. The JSON also carries a
``metadata`` object with ``call_id`` (the audio file's stem) and ``audio`` (its file name).

litellm is imported inside ``atranscribe``, so importing winback_grader stays fast and offline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TranscriptError

__all__ = ["TRANSCRIPT_SUFFIX", "TranscriptionResult", "atranscribe", "transcribe"]

logger = logging.getLogger(__name__)

TRANSCRIPT_SUFFIX = ".transcript.json"
"""The suffix that replaces the audio file's extension in its transcript's name."""


@dataclass(frozen=True)
class TranscriptionResult:
    """The outcome for one audio file."""

    audio: Path
    """The audio file that was sent."""
    transcript: Path | None
    """The JSON file written beside the audio; None when the transcription failed."""
    error: str | None = None
    """The reason the transcription failed; None when it succeeded."""


def transcript_path(audio: Path) -> Path:
    """Return the transcript path of ``audio``: ``call.wav`` -> ``call.transcript.json``."""
    return audio.with_name(audio.stem + TRANSCRIPT_SUFFIX)


def transcribe(
    paths: Iterable[str | os.PathLike[str]],
    *,
    model: str = "openai/whisper-1",
    api_base: str | None = None,
    api_key: str | None = None,
    concurrency: int = 4,
    language: str | None = None,
    timeout: float = 600.0,
) -> list[TranscriptionResult]:
    """Transcribe audio files, several at once; works in scripts and inside a running event loop.

    See ``atranscribe`` for the arguments. Results come back in input order.
    """
    from .grading import run_sync

    return run_sync(
        atranscribe(
            paths,
            model=model,
            api_base=api_base,
            api_key=api_key,
            concurrency=concurrency,
            language=language,
            timeout=timeout,
        )
    )


async def atranscribe(
    paths: Iterable[str | os.PathLike[str]],
    *,
    model: str = "openai/whisper-1",
    api_base: str | None = None,
    api_key: str | None = None,
    concurrency: int = 4,
    language: str | None = None,
    timeout: float = 600.0,
) -> list[TranscriptionResult]:
    """Transcribe audio files with ``concurrency`` requests in flight; the awaitable ``transcribe``.

    ``model`` is a litellm model string; ``api_base`` and ``api_key`` go to litellm as they are
    (by default litellm reads the provider's usual environment variable). A file that fails to
    transcribe comes back with ``error`` set and does not stop the others. A missing audio file
    raises TranscriptError before any request is sent.
    """
    audio_files = [Path(path) for path in paths]
    missing = [str(path) for path in audio_files if not path.is_file()]
    if missing:
        raise TranscriptError(f"audio file not found: {', '.join(missing)}")
    if concurrency < 1:
        raise TranscriptError(f"concurrency={concurrency} is invalid; use 1 or more")

    # litellm downloads its model price map on import unless told to use its bundled copy.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from .engines.scrubbing import SecretScrubber

    # A provider's error can echo the key, passed here or read by litellm from the environment.
    scrubber = SecretScrubber.from_key(api_key)
    limit = asyncio.Semaphore(concurrency)

    async def transcribe_one(audio: Path) -> TranscriptionResult:
        async with limit:
            logger.info("transcribing %s with %s", audio, model)
            try:
                response = await litellm.atranscription(
                    model=model,
                    file=(audio.name, audio.read_bytes()),
                    response_format="verbose_json",
                    language=language,
                    api_base=api_base,
                    api_key=api_key,
                    timeout=timeout,
                )
            except Exception as exc:  # one failed file must not stop the others
                message = scrubber.scrub(f"{type(exc).__name__}: {exc}")
                logger.warning("transcription of %s failed: %s", audio, message)
                return TranscriptionResult(audio=audio, transcript=None, error=message)

        target = transcript_path(audio)
        document = _transcript_document(response, audio)
        target.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        return TranscriptionResult(audio=audio, transcript=target)

    return list(await asyncio.gather(*(transcribe_one(audio) for audio in audio_files)))


def _transcript_document(response: Any, audio: Path) -> dict[str, Any]:
    """Keep the verbose_json fields of a litellm TranscriptionResponse, plus the call's metadata."""
    data = response.model_dump() if hasattr(response, "model_dump") else dict(response)
    document: dict[str, Any] = {"text": data.get("text") or ""}
    for key in ("language", "duration", "segments", "words"):
        if data.get(key) is not None:
            document[key] = data[key]
    document["metadata"] = {"call_id": audio.stem, "audio": audio.name}
    return document

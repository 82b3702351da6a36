"""``grade_many`` and ``agrade_many``: grade many transcripts within one concurrency bound.

NOTE: minimal version (no cache, resume or cost limit yet).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from typing import Any

from .config import GraderConfig
from .grading import grade_transcript, resolve_rubric, resolve_transcript, run_sync
from .rubric import Rubric
from .scorecard import Scorecard
from .transcript import Transcript

__all__ = ["agrade_many", "grade_many"]


def grade_many(
    transcripts: Iterable[Transcript | str | os.PathLike[str]],
    rubric: Rubric | str | os.PathLike[str] = "winback",
    *,
    model: str | None = None,
    concurrency: int = 8,
    **options: Any,
) -> list[Scorecard]:
    """Grade many calls; results come back in input order."""
    return run_sync(agrade_many(transcripts, rubric, model=model, concurrency=concurrency, **options))


async def agrade_many(
    transcripts: Iterable[Transcript | str | os.PathLike[str]],
    rubric: Rubric | str | os.PathLike[str] = "winback",
    *,
    model: str | None = None,
    concurrency: int = 8,
    **options: Any,
) -> list[Scorecard]:
    """Grade many calls concurrently; the awaitable form of ``grade_many()``."""
    config = GraderConfig.from_options(model, concurrency=concurrency, **options)
    loaded_rubric = resolve_rubric(rubric)
    loaded = [resolve_transcript(t) for t in transcripts]
    limit = asyncio.Semaphore(config.concurrency)

    async def one(transcript: Transcript) -> Scorecard:
        async with limit:
            return await grade_transcript(transcript, loaded_rubric, config)

    return list(await asyncio.gather(*(one(t) for t in loaded)))

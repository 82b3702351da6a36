"""Grade many transcripts: one concurrency bound over all model calls, a cost limit, run totals.

``BatchRun.stream`` yields each transcript's Scorecard as soon as its last criterion is graded
and keeps only a bounded window of transcripts in memory, so a results file of any length can
be written as the run goes. ``grade_many`` and ``agrade_many`` collect the same stream into a
list in input order.

The unit of scheduling is one engine call: a (transcript, criterion group) pair, where the
group is one criterion, one section's criteria or the whole rubric's (``config.strategy``).
Every LLM engine call of the run waits for a slot of one shared semaphore of
``config.concurrency`` slots, so a slow transcript never holds slots it is not using.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cache import GradeCache, open_cache
from .config import GraderConfig
from .engines.base import Engine, EngineResult
from .errors import ConfigError
from .estimate import has_price
from .grading import (
    build_engines,
    check_prompt_templates,
    close_engines,
    grade_transcript,
    resolve_rubric,
    resolve_transcript,
    run_sync,
)
from .results_file import CompletedResults
from .rubric import Criterion, Rubric
from .scorecard import CriterionGrade, EngineName, Scorecard, Usage
from .transcript import Transcript

__all__ = [
    "COST_LIMIT_ERROR",
    "BatchRun",
    "RunTotals",
    "agrade_many",
    "check_cost_limit",
    "grade_many",
]

logger = logging.getLogger(__name__)

COST_LIMIT_ERROR = "not graded: cost limit reached"
"""The start of the error of a criterion left ungraded because ``max_cost_usd`` was spent."""


@dataclass
class RunTotals:
    """Counts and spending of a batch run, summed over the transcripts it graded."""

    transcripts: int = 0
    """Transcripts graded in this run."""
    reused: int = 0
    """Transcripts skipped because an earlier run's results file already contains them."""
    usage: Usage = field(default_factory=Usage)
    """Model calls, cache hits, tokens and cost of this run."""
    criteria: int = 0
    """Criterion grades produced, whatever their status."""
    with_errors: int = 0
    """Transcripts whose scorecard has at least one criterion in error."""
    errors: int = 0
    """Criteria that ended with ``status="error"``, counting those the cost limit left ungraded."""
    not_graded: int = 0
    """Criteria left ungraded because the cost limit was reached."""

    def add(self, scorecard: Scorecard) -> None:
        """Count one finished scorecard."""
        self.transcripts += 1
        self.usage = self.usage + scorecard.usage
        self.criteria += len(scorecard.grades)
        if scorecard.errors:
            self.with_errors += 1
        for grade in scorecard.errors:
            self.errors += 1
            if (grade.error or "").startswith(COST_LIMIT_ERROR):
                self.not_graded += 1

    def summary(self) -> str:
        """Return the one-line run summary the command line prints at the end."""
        usage = self.usage
        if usage.cost_usd is None:
            cost = "cost unknown (no price for the model)" if usage.calls else "cost $0.0000"
        elif usage.unpriced_calls:
            cost = f"cost ${usage.cost_usd:.4f} plus {usage.unpriced_calls} unpriced call(s)"
        else:
            cost = f"cost ${usage.cost_usd:.4f}"
        graded = f"{self.transcripts} transcript(s) graded"
        if self.with_errors:
            graded = f"{self.transcripts} transcript(s), {self.with_errors} with criteria in error"
        parts = [
            graded,
            f"{usage.calls} model call(s)",
            f"{usage.cached_calls} cache hit(s)",
            f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens",
            cost,
        ]
        if self.reused:
            parts.insert(1, f"{self.reused} reused from the results file")
        if self.errors:
            parts.append(f"{self.errors} criteria in error")
        if self.not_graded:
            parts.append(f"{self.not_graded} criteria not graded: cost limit reached")
        return "; ".join(parts)


class CostBudget:
    """The money spent so far in a run, against the optional ``max_cost_usd`` limit.

    A call starts only while the money spent plus the expected cost of the calls in flight
    stays below the limit. Otherwise it waits until a call in flight finishes, and checks
    again. The calls in flight are counted at the larger of two figures: their transcripts'
    characters times the highest cost per character of the calls finished so far, and their
    number times the highest cost of one finished call. The first covers long transcripts, the
    second the fixed part of every prompt (instructions, rubric, schema) and the reply, which
    make a short transcript's call dearer than its length alone would price it. A call is left
    ungraded only once the money spent reaches the limit.

    That estimate rests on the calls finished so far, so a limited run also keeps no more
    calls in flight than model requests have finished (at least one), up to ``concurrency``:
    the first call goes alone, and the bound grows with each call that finishes. A limit
    smaller than one call then sends one call, and a run whose later replies are longer than
    its first ones learns their cost from a few calls instead of starting ``concurrency`` of
    them at the first call's price.

    NOTE: a call that costs more than every call before it, both per character and in all (a
    long reply, a retry), can still exceed the limit by the difference, times the calls in
    flight beside it.
    """

    def __init__(self, limit_usd: float | None) -> None:
        self.limit_usd = limit_usd
        self.spent_usd = 0.0
        self._cost_per_char = 0.0
        self._cost_per_call = 0.0
        self._requests_finished = 0  # reserved calls that sent a model request and finished
        self._calls_in_flight = 0
        self._chars_in_flight = 0
        # Set and replaced each time a call finishes; created by the first call that waits,
        # inside the running event loop.
        self._settled: asyncio.Event | None = None

    @property
    def exhausted(self) -> bool:
        """Whether the money spent has reached the limit."""
        return self.limit_usd is not None and self.spent_usd >= self.limit_usd

    async def reserve(self, chars: int) -> bool:
        """Count a call of ``chars`` characters as in flight; return False once the limit is spent.

        The call that brings the money spent past the limit can exceed it by its own cost.
        """
        while not self.exhausted:
            if self._fits():
                self._calls_in_flight += 1
                self._chars_in_flight += chars
                return True
            # Here a call is in flight: with none, every call fits below an unspent limit.
            if self._settled is None:
                self._settled = asyncio.Event()
            await self._settled.wait()
        return False

    def _fits(self) -> bool:
        """Return whether one more call may start beside the calls in flight."""
        if self.limit_usd is None:
            return True
        if self._calls_in_flight >= max(1, self._requests_finished):
            return False
        in_flight = max(
            self._chars_in_flight * self._cost_per_char,
            self._calls_in_flight * self._cost_per_call,
        )
        return self.spent_usd + in_flight < self.limit_usd

    def settle(self, chars: int, usage: Usage | None) -> None:
        """End a reserved call and add what it spent; ``usage`` is None when it has none."""
        self._calls_in_flight -= 1
        self._chars_in_flight -= chars
        if usage is not None:
            cost = usage.cost_usd or 0.0
            self.spent_usd += cost
            # Cache hits send no request, so they are left out of the cost per character.
            if usage.calls:
                self._requests_finished += 1
                self._cost_per_char = max(self._cost_per_char, cost / chars)
                self._cost_per_call = max(self._cost_per_call, cost)
        if self._settled is not None:
            self._settled.set()
            self._settled = None


def call_size(transcript: Transcript) -> int:
    """Return the characters of the transcript's turns, at least 1: the size of its calls."""
    return max(1, sum(len(turn.text) for turn in transcript.turns))


class BoundedEngine:
    """Wraps an engine so each call takes one slot of the run's semaphore and obeys the budget.

    A call that starts after the budget is spent sends nothing and returns error grades,
    unless the engine's cache contains its grades. An exception from the wrapped engine becomes
    error grades for that call's criteria only.
    """

    def __init__(self, inner: Engine, slots: asyncio.Semaphore, budget: CostBudget) -> None:
        self.inner = inner
        self.name = inner.name
        # Grades record which engine produced them; this wrapper wraps the LLM engine only.
        self._grade_engine: EngineName = "llm" if inner.name == "llm" else "offline"
        self._slots = slots
        self._budget = budget

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        async with self._slots:
            # The size is counted only when there is a limit that needs it.
            chars = call_size(transcript) if self._budget.limit_usd is not None else 1
            # Reserved after the wait for a slot, because calls that finished meanwhile may
            # have spent the rest of the budget.
            if not await self._budget.reserve(chars):
                # Grades already in the cache cost nothing, so they are still returned.
                cached = self._cached_result(transcript, rubric, criteria)
                if cached is not None:
                    return cached
                error = f"{COST_LIMIT_ERROR} (max_cost_usd={self._budget.limit_usd})"
                return self._failed(criteria, error)
            usage: Usage | None = None
            try:
                result = await self.inner.grade(transcript, rubric, criteria)
                usage = result.usage
            except Exception as exc:
                # By the Engine contract grade() does not raise. If it does anyway, only
                # this call's criteria fail and the rest of the run goes on.
                logger.warning(
                    "engine %s failed on transcript %s, criteria %s: %s",
                    self.name, transcript.id, [c.id for c in criteria], exc,
                )
                error = f"grading failed: {type(exc).__name__}: {exc}"
                return self._failed(criteria, error)
            finally:
                # Also on cancellation, so the reservation never outlives the call.
                self._budget.settle(chars, usage)
        return result

    def _failed(self, criteria: Sequence[Criterion], error: str) -> EngineResult:
        grades = [CriterionGrade.failed(c, error, engine=self._grade_engine) for c in criteria]
        return EngineResult(grades=grades)

    def _cached_result(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult | None:
        # Only the LLM engine has a cache; other engines (and test stand-ins) may lack the method.
        lookup = getattr(self.inner, "cached_result", None)
        if lookup is None:
            return None
        result: EngineResult | None = lookup(transcript, rubric, criteria)
        return result


def check_cost_limit(config: GraderConfig) -> None:
    """Raise ConfigError when ``max_cost_usd`` is set for a model without a known price.

    The limit could then never be reached.
    """
    limited = config.max_cost_usd is not None and not config.is_offline
    if limited and not has_price(config.model):
        raise ConfigError(
            f"max_cost_usd={config.max_cost_usd} needs the model's price, but litellm has no "
            f"price for {config.model!r}; drop the cost limit (--max-cost), or, in Python, "
            "register a price with litellm.register_model()"
        )


class BatchRun:
    """One batch run: its engines, cache, concurrency slots, budget and totals.

    Raises ConfigError when ``max_cost_usd`` is set for a model without a known price
    (``check_cost_limit``).

    Use it as a context manager so the cache is closed at the end::

        with BatchRun(rubric, config) as run:
            async for index, scorecard in run.stream(transcripts):
                ...
        print(run.totals.summary())
    """

    def __init__(
        self,
        rubric: Rubric,
        config: GraderConfig,
        *,
        engines: dict[str, Engine] | None = None,
        completed: CompletedResults | None = None,
    ) -> None:
        self.rubric = rubric
        self.config = config
        self.totals = RunTotals()
        """Totals of the scorecards yielded so far."""
        self._completed = completed
        check_cost_limit(config)
        self._budget = CostBudget(config.max_cost_usd)
        self._cache: GradeCache | None = None
        self._engines = engines
        # Engines that each stream() call built, closed together by close().
        self._built_engines: list[dict[str, Engine]] = []
        # Transcripts in flight: twice the call slots keeps every slot busy while the next
        # transcripts wait, and bounds memory whatever the input length.
        self.window = max(2 * config.concurrency, 2)
        """The number of transcripts loaded and being graded at once."""

    def _build_engines(self) -> dict[str, Engine]:
        if self._engines is not None:
            engines = dict(self._engines)
        else:
            if not self.config.is_offline:
                self._cache = open_cache(self.config)
            engines = build_engines(self.config, cache=self._cache)
            self._built_engines.append(dict(engines))
        # The semaphore is created here, inside the running event loop that will use it.
        slots = asyncio.Semaphore(self.config.concurrency)
        if "llm" in engines:
            engines["llm"] = BoundedEngine(engines["llm"], slots, self._budget)
        return engines

    async def stream(
        self, transcripts: Iterable[Transcript | str | os.PathLike[str]]
    ) -> AsyncIterator[tuple[int, Scorecard]]:
        """Yield ``(input index, Scorecard)`` for each transcript as it finishes.

        Transcripts are read lazily from the iterable, at most ``window`` at a time. A
        transcript that the results file already contains is skipped and counted in
        ``totals.reused``. A file that cannot be read raises TranscriptError when the stream
        reaches it, and the calls in flight are cancelled.
        """
        check_prompt_templates(self.rubric, self.config)
        engines = self._build_engines()
        pending: set[asyncio.Task[tuple[int, Scorecard]]] = set()
        inputs = enumerate(transcripts)
        exhausted = False
        try:
            while True:
                # Fill the window, then wait for any transcript to finish.
                while not exhausted and len(pending) < self.window:
                    entry = next(inputs, None)
                    if entry is None:
                        exhausted = True
                        break
                    index, source = entry
                    transcript = resolve_transcript(source)
                    if self._completed is not None and self._completed.take(transcript.id):
                        self.totals.reused += 1
                        continue
                    pending.add(asyncio.create_task(self._grade_one(index, transcript, engines)))
                if not pending:
                    return
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                # Transcripts that finish together are yielded in input order. ``done`` is a
                # set, whose order changes from one run to the next.
                finished = sorted((task.result() for task in done), key=lambda item: item[0])
                for index, scorecard in finished:
                    self.totals.add(scorecard)
                    yield index, scorecard
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def _grade_one(
        self, index: int, transcript: Transcript, engines: dict[str, Engine]
    ) -> tuple[int, Scorecard]:
        scorecard = await grade_transcript(transcript, self.rubric, self.config, engines=engines)
        return index, scorecard

    def close(self) -> None:
        """Close the engines and the cache this run opened; engines passed in stay open."""
        for engines in self._built_engines:
            close_engines(engines)
        self._built_engines = []
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __enter__(self) -> BatchRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def grade_many(
    transcripts: Iterable[Transcript | str | os.PathLike[str]],
    rubric: Rubric | str | os.PathLike[str] = "winback",
    *,
    model: str | None = None,
    concurrency: int = 8,
    **options: Any,
) -> list[Scorecard]:
    """Grade many calls; results come back in input order."""
    graded = agrade_many(transcripts, rubric, model=model, concurrency=concurrency, **options)
    return run_sync(graded)


async def agrade_many(
    transcripts: Iterable[Transcript | str | os.PathLike[str]],
    rubric: Rubric | str | os.PathLike[str] = "winback",
    *,
    model: str | None = None,
    concurrency: int = 8,
    **options: Any,
) -> list[Scorecard]:
    """Grade many calls concurrently; the awaitable form of ``grade_many()``.

    Every transcript is read before the first model call, so bad input raises before anything
    is paid for. ``concurrency`` bounds the model calls in flight across all transcripts.
    """
    config = GraderConfig.from_options(model, concurrency=concurrency, **options)
    loaded_rubric = resolve_rubric(rubric)
    loaded = [resolve_transcript(t) for t in transcripts]

    results: list[Scorecard | None] = [None] * len(loaded)
    with BatchRun(loaded_rubric, config) as run:
        async for index, scorecard in run.stream(loaded):
            results[index] = scorecard
    return [scorecard for scorecard in results if scorecard is not None]

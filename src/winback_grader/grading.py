"""``grade`` and ``agrade``: grade one transcript against a rubric.

One async core (``grade_transcript``); ``grade()`` is a thin wrapper that also works inside a
running event loop, such as a Jupyter notebook's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sys
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from .cache import GradeCache, open_cache
from .config import GraderConfig
from .engines.base import Engine, EngineResult
from .engines.phrases import OfflineEngine
from .redaction import redact_transcript
from .rubric import Criterion, Rubric, load_rubric
from .scorecard import CriterionGrade, EngineName, Scorecard, Usage, aggregate
from .transcript import Transcript, load_transcript

__all__ = [
    "agrade",
    "build_engines",
    "check_prompt_templates",
    "close_engines",
    "grade",
    "grade_transcript",
    "plan_calls",
    "resolve_rubric",
    "resolve_transcript",
    "run_sync",
]

T = TypeVar("T")


def grade(
    transcript: Transcript | str | os.PathLike[str],
    rubric: Rubric | str | os.PathLike[str] = "winback",
    *,
    model: str | None = None,
    **options: Any,
) -> Scorecard:
    """Grade one call and return its Scorecard. Works in scripts and inside a running event loop.

    ``model=None`` uses ``$WINBACK_GRADER_MODEL``, else the offline phrase engine. Bad input
    (an unreadable transcript, an invalid rubric or option) raises before any model call; a
    criterion that fails to grade comes back with ``status="error"`` instead of raising.
    """
    return run_sync(agrade(transcript, rubric, model=model, **options))


async def agrade(
    transcript: Transcript | str | os.PathLike[str],
    rubric: Rubric | str | os.PathLike[str] = "winback",
    *,
    model: str | None = None,
    **options: Any,
) -> Scorecard:
    """Grade one call; the awaitable form of ``grade()``."""
    from .batch import BatchRun  # batch imports this module

    config = GraderConfig.from_options(model, **options)
    loaded_rubric = resolve_rubric(rubric)
    loaded_transcript = resolve_transcript(transcript)
    # A batch run of one call, so that max_cost_usd holds for one call as it does for many.
    with BatchRun(loaded_rubric, config) as run:
        scorecards = [scorecard async for _, scorecard in run.stream([loaded_transcript])]
    return scorecards[0]


def resolve_rubric(rubric: Rubric | str | os.PathLike[str]) -> Rubric:
    """Return the rubric itself, or load it from a path or a shipped rubric's name."""
    return rubric if isinstance(rubric, Rubric) else load_rubric(rubric)


def resolve_transcript(transcript: Transcript | str | os.PathLike[str]) -> Transcript:
    """Return the transcript itself, or load it from a path."""
    return transcript if isinstance(transcript, Transcript) else load_transcript(transcript)


def build_engines(config: GraderConfig, *, cache: GradeCache | None = None) -> dict[str, Engine]:
    """Create the offline engine, and the LLM engine when a model is set.

    Without ``cache`` the LLM engine opens the on-disk cache that the config names, unless
    ``config.cache`` is False. A Router from ``routing`` replaces ``litellm.acompletion`` when
    the config sets rpm, tpm or fallbacks. Pass the engines to ``close_engines`` when done, so
    that the Router's process-wide registrations in litellm are removed.
    """
    engines: dict[str, Engine] = {"offline": OfflineEngine()}
    if not config.is_offline:
        from .engines.llm import LLMEngine  # imported late: it pulls in litellm
        from .routing import RouterLease, needs_router

        if cache is None:
            cache = open_cache(config)
        if needs_router(config):
            # The mode is resolved before the Router is built, because the model entries the
            # Router registers in litellm would change what mode="auto" picks for the model.
            from .engines.modes import resolve_mode

            routed_config = config.model_copy(update={"mode": resolve_mode(config)})
            lease = RouterLease(config)
            engines["llm"] = LLMEngine(
                routed_config, cache=cache, completion=lease.completion, on_close=lease.release
            )
        else:
            engines["llm"] = LLMEngine(config, cache=cache)
    return engines


def close_engines(engines: dict[str, Engine]) -> None:
    """Call ``close()`` on each engine that has one (the LLM engine retires its Router)."""
    for engine in engines.values():
        close = getattr(engine, "close", None)
        if callable(close):
            close()


def check_prompt_templates(rubric: Rubric, config: GraderConfig) -> None:
    """Raise TemplateError when the templates of ``config.prompt_dir`` fail on this rubric.

    The shipped templates are tested, so only a user's folder is checked. The check renders a
    sample call, so a template error stops the run before any model call.
    """
    if config.prompt_dir is None or config.is_offline:
        return
    from .prompts import PromptRenderer  # imported late: jinja2 is not needed offline

    groups = [criteria for engine, criteria in plan_calls(rubric, config) if engine == "llm"]
    PromptRenderer(config.prompt_dir).check(rubric, groups)


def engine_for(criterion: Criterion, config: GraderConfig) -> str:
    """Return the name of the engine that grades this criterion."""
    if criterion.method == "phrases" or config.is_offline:
        return "offline"
    return "llm"


def plan_calls(rubric: Rubric, config: GraderConfig) -> list[tuple[str, list[Criterion]]]:
    """Split the rubric's criteria into engine calls: ``(engine name, criteria of one call)``.

    The offline engine gets one call for all its criteria: it sends nothing anywhere, so
    splitting would only add task overhead. The LLM engine's criteria are grouped by
    ``config.strategy``: one per call, one section's per call, or the whole rubric's in one.
    """
    calls: list[tuple[str, list[Criterion]]] = []
    offline_criteria: list[Criterion] = []
    llm_groups: dict[str, list[Criterion]] = {}
    for section in rubric.sections:
        for criterion in section.criteria:
            if engine_for(criterion, config) == "offline":
                offline_criteria.append(criterion)
            elif config.strategy == "criterion":
                calls.append(("llm", [criterion]))
            else:
                group = section.id if config.strategy == "section" else rubric.id
                llm_groups.setdefault(group, []).append(criterion)
    calls.extend(("llm", criteria) for criteria in llm_groups.values())
    if offline_criteria:
        calls.append(("offline", offline_criteria))
    return calls


async def grade_transcript(
    transcript: Transcript,
    rubric: Rubric,
    config: GraderConfig,
    *,
    engines: dict[str, Engine] | None = None,
) -> Scorecard:
    """Grade every criterion of the rubric on one transcript and aggregate the Scorecard."""
    engine_name: EngineName = "offline" if config.is_offline else "llm"
    model = None if config.is_offline else config.model

    # Redact before any text can reach a model, a cache or a result.
    if config.redact:
        transcript = redact_transcript(transcript)

    reason = transcript.ungradable_reason()
    if reason is not None:
        grades = [
            CriterionGrade.not_applicable(c, reasoning=f"Not gradable: {reason}.", engine="offline")
            for c in rubric.criteria
        ]
        return aggregate(
            rubric, grades, transcript_id=transcript.id, engine=engine_name, model=model,
            metadata=transcript.metadata,
        )

    # Engines built here are closed here; a caller that passes engines closes them itself.
    owned = engines is None
    used: dict[str, Engine] = engines if engines is not None else build_engines(config)

    # One engine call per criterion group (see plan_calls). The calls run concurrently, at most
    # config.concurrency at a time, so a local model server is not sent every criterion at once.
    slots = asyncio.Semaphore(config.concurrency)

    async def call_engine(name: str, criteria: list[Criterion]) -> EngineResult:
        async with slots:
            return await used[name].grade(transcript, rubric, criteria)

    calls = [call_engine(name, criteria) for name, criteria in plan_calls(rubric, config)]
    try:
        results: Sequence[EngineResult] = await asyncio.gather(*calls)
    finally:
        if owned:
            close_engines(used)

    grades = [grade for result in results for grade in result.grades]
    usage = sum((result.usage for result in results), Usage())
    return aggregate(
        rubric, grades, transcript_id=transcript.id, engine=engine_name, model=model,
        usage=usage, metadata=transcript.metadata,
    )


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, also when an event loop is already running.

    Inside a running loop (Jupyter) the coroutine runs on a fresh loop in a worker thread,
    because the running loop cannot be re-entered. Either way the loop is closed on return, so
    litellm's logging callbacks are flushed first (see ``flush_model_logs``).
    """
    main = _then_flush_model_logs(coroutine)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main).result()


async def _then_flush_model_logs(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return await coroutine
    finally:
        await flush_model_logs()


LOG_FLUSH_TIMEOUT = 5.0
"""Seconds ``flush_model_logs`` waits for litellm's logging callbacks before giving up."""


async def flush_model_logs() -> None:
    """Wait until litellm has run its logging callbacks for the calls made on this loop.

    litellm runs success callbacks (a user's ``CustomLogger``, Langfuse and the like) on a queue
    bound to the running event loop. A loop that closes with the queue not empty loses the last
    calls' callbacks, or runs them on the next loop with a "LoggingWorker: event loop changed"
    warning. Does nothing when litellm was never imported.

    NOTE: ``GLOBAL_LOGGING_WORKER`` is internal to litellm (1.110); if it moves, nothing is
    flushed and grading is unaffected.
    """
    if "litellm" not in sys.modules:
        return
    try:
        from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
    except ImportError:
        return
    # A callback that hangs or fails must not hold up or break the grades already made.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(GLOBAL_LOGGING_WORKER.flush(), LOG_FLUSH_TIMEOUT)

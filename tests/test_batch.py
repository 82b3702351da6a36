"""Batch grading: input order, one concurrency bound over calls, streaming, failure isolation."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence

import pytest

from grading_responder import structured_reply
from openai_server import OpenAIServer, Reply, Request
from winback_grader import GraderConfig, Scorecard, Transcript, Turn, grade_many, load_rubric
from winback_grader.batch import BatchRun
from winback_grader.engines.base import Engine, EngineResult
from winback_grader.engines.phrases import OfflineEngine
from winback_grader.grading import plan_calls
from winback_grader.rubric import Criterion, Rubric
from winback_grader.scorecard import CriterionGrade, Usage


def make_transcript(call_id: str) -> Transcript:
    return Transcript(
        id=call_id,
        turns=[
            Turn(speaker="Agent", role="agent", text=f"Hi, Dana from Acme here about {call_id}."),
            Turn(speaker="Customer", role="customer", text="I left because the price went up."),
            Turn(speaker="Agent", role="agent", text="I can offer twenty percent off for a year."),
        ],
        metadata={"call_id": call_id},
    )


class RecordingEngine:
    """A stand-in LLM engine that sleeps, records calls in flight, and can fail on purpose."""

    name = "llm"

    def __init__(self, delay: float = 0.01, fail_on: str | None = None, cost: float = 0.0) -> None:
        self.delay = delay
        self.fail_on = fail_on
        self.cost = cost
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls: list[tuple[str, list[str]]] = []

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.calls.append((transcript.id, [c.id for c in criteria]))
        try:
            await asyncio.sleep(self.delay)
            if self.fail_on is not None and any(c.id == self.fail_on for c in criteria):
                raise RuntimeError(f"boom on {self.fail_on}")
            grades = [CriterionGrade.scored(c, c.scale.max, engine="llm") for c in criteria]
            usage = Usage(calls=1, prompt_tokens=100, completion_tokens=20, cost_usd=self.cost)
            return EngineResult(grades=grades, usage=usage)
        finally:
            self.in_flight -= 1


def engines_with(llm: RecordingEngine) -> dict[str, Engine]:
    return {"offline": OfflineEngine(), "llm": llm}


async def collect(run: BatchRun, transcripts: list[Transcript]) -> dict[int, str]:
    return {index: card.transcript_id async for index, card in run.stream(transcripts)}


def test_grade_many_keeps_input_order() -> None:
    ids = [f"call-{n:02d}" for n in range(12)]
    scorecards = grade_many([make_transcript(i) for i in reversed(ids)], concurrency=3)
    assert [card.transcript_id for card in scorecards] == list(reversed(ids))
    assert all(card.engine == "offline" for card in scorecards)


def test_concurrency_bounds_calls_across_transcripts() -> None:
    rubric = load_rubric("winback")
    config = GraderConfig(model="openai/test-model", concurrency=5, cache=False)
    llm = RecordingEngine(delay=0.02)
    transcripts = [make_transcript(f"call-{n}") for n in range(6)]

    async def run_all() -> dict[int, str]:
        with BatchRun(rubric, config, engines=engines_with(llm)) as run:
            return await collect(run, transcripts)

    results = asyncio.run(run_all())

    assert len(results) == 6
    assert llm.max_in_flight == 5
    assert len(llm.calls) == 6 * len(rubric.criteria)


def test_one_failing_call_leaves_others_graded() -> None:
    rubric = load_rubric("winback")
    config = GraderConfig(model="openai/test-model", concurrency=4, cache=False)
    llm = RecordingEngine(fail_on="needs")
    transcripts = [make_transcript(f"call-{n}") for n in range(3)]

    async def run_all() -> list[Scorecard]:
        with BatchRun(rubric, config, engines=engines_with(llm)) as run:
            return [card async for _, card in run.stream(transcripts)]

    scorecards = asyncio.run(run_all())

    assert len(scorecards) == 3
    for card in scorecards:
        failed = card.grade("needs")
        assert failed.status == "error"
        assert failed.error == "grading failed: RuntimeError: boom on needs"
        others = [g for g in card.grades if g.criterion_id != "needs"]
        assert all(g.status == "scored" for g in others)
        assert card.total is None


def test_stream_reads_inputs_lazily() -> None:
    rubric = load_rubric("winback")
    config = GraderConfig(model="openai/test-model", concurrency=2, cache=False)
    llm = RecordingEngine(delay=0.001)
    pulled: list[int] = []

    def source() -> Iterator[Transcript]:
        for n in range(50):
            pulled.append(n)
            yield make_transcript(f"call-{n}")

    async def first_result() -> int:
        with BatchRun(rubric, config, engines=engines_with(llm)) as run:
            async for _ in run.stream(source()):
                return len(pulled)
        raise AssertionError("the stream yielded nothing")

    pulled_at_first_yield = asyncio.run(first_result())

    assert pulled_at_first_yield <= 2 * config.concurrency + 1
    assert len(pulled) < 50


def test_stream_totals_count_calls_and_tokens() -> None:
    rubric = load_rubric("winback")
    config = GraderConfig(model="openai/test-model", concurrency=4, cache=False)
    llm = RecordingEngine()
    transcripts = [make_transcript(f"call-{n}") for n in range(4)]

    async def run_all() -> BatchRun:
        with BatchRun(rubric, config, engines=engines_with(llm)) as run:
            await collect(run, transcripts)
            return run

    run = asyncio.run(run_all())

    calls = 4 * len(rubric.criteria)
    assert run.totals.transcripts == 4
    assert run.totals.usage.calls == calls
    assert run.totals.usage.prompt_tokens == 100 * calls
    assert run.totals.usage.completion_tokens == 20 * calls
    assert run.totals.errors == 0


@pytest.mark.parametrize(
    ("strategy", "llm_calls"),
    [("criterion", 15), ("section", 6), ("rubric", 1)],
    ids=["one-per-criterion", "one-per-section", "one-for-rubric"],
)
def test_plan_calls_groups_by_strategy(strategy: str, llm_calls: int) -> None:
    rubric = load_rubric("winback")
    config = GraderConfig(model="openai/test-model", strategy=strategy)  # type: ignore[arg-type]

    calls = plan_calls(rubric, config)

    assert len([c for c in calls if c[0] == "llm"]) == llm_calls
    graded = sorted(criterion.id for _, group in calls for criterion in group)
    assert graded == sorted(criterion.id for criterion in rubric.criteria)


def test_plan_calls_offline_is_one_call() -> None:
    rubric = load_rubric("winback")

    calls = plan_calls(rubric, GraderConfig(strategy="criterion"))

    assert len(calls) == 1
    assert calls[0][0] == "offline"
    assert [criterion.id for criterion in calls[0][1]] == [c.id for c in rubric.criteria]


def test_section_strategy_sends_section_groups() -> None:
    rubric = load_rubric("winback")
    config = GraderConfig(model="openai/test-model", strategy="section", cache=False)
    llm = RecordingEngine()

    async def run_one() -> None:
        with BatchRun(rubric, config, engines=engines_with(llm)) as run:
            await collect(run, [make_transcript("call-1")])

    asyncio.run(run_one())

    groups = sorted(criteria for _, criteria in llm.calls)
    expected = sorted([c.id for c in section.criteria] for section in rubric.sections)
    assert groups == expected


# -- rate limits and fallbacks through litellm's Router, against the loopback server ------------


@pytest.fixture
def restore_litellm_globals() -> Iterator[None]:
    """Undo what building a Router adds to litellm's process-wide state.

    litellm 1.110's Router registers its deployments in ``litellm.model_cost`` and its rate-limit
    check in ``litellm.callbacks``. Left there, they change how later tests' models are priced,
    which structured-output mode they get and which rate limits apply.
    """
    import litellm
    import litellm.utils

    callbacks = list(litellm.callbacks)
    model_cost = dict(litellm.model_cost)
    yield
    litellm.callbacks = callbacks
    litellm.model_cost.clear()
    litellm.model_cost.update(model_cost)
    # litellm memoises model lookups; the memo would still return the Router's entries.
    litellm.utils._cached_get_model_info.cache_clear()
    litellm.utils._cached_get_model_info_helper.cache_clear()


def primary_fails(request: Request) -> Reply:
    """Fail every request for the model "primary" with a 500; grade the others."""
    if request.body["model"] == "primary":
        return Reply(status=500, body={"error": {"message": "primary is down"}})
    return structured_reply(request)


@pytest.mark.usefixtures("restore_litellm_globals")
def test_fallback_model_grades_when_primary_fails() -> None:
    rubric = load_rubric("winback")
    with OpenAIServer(primary_fails) as server:
        scorecards = grade_many(
            [make_transcript("call-1")], rubric, model="openai/primary",
            fallbacks=["openai/backup"], api_base=server.base_url, api_key="sk-test",
            transient_retries=0, cache=False, mode="tools",
        )
        models = Counter(request.body["model"] for request in server.chat_requests())

    assert scorecards[0].errors == []
    assert models == {"primary": len(rubric.criteria), "backup": len(rubric.criteria)}


@pytest.mark.usefixtures("restore_litellm_globals")
def test_rpm_limit_stops_requests_before_server() -> None:
    rubric = load_rubric("winback")
    with OpenAIServer(structured_reply) as server:
        scorecards = grade_many(
            [make_transcript("call-1")], rubric, model="openai/test-model", rpm=3,
            api_base=server.base_url, api_key="sk-test", transient_retries=0, concurrency=1,
            cache=False, mode="tools",
        )
        sent = len(server.chat_requests())

    # Without retries, the calls over the limit fail in the client and never reach the server.
    assert sent == 3
    graded = [grade for grade in scorecards[0].grades if grade.status == "scored"]
    assert len(graded) == 3
    assert len(scorecards[0].errors) == len(rubric.criteria) - 3
    assert "RPM limit=3" in (scorecards[0].errors[0].error or "")

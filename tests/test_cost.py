"""Cost control: the max_cost_usd limit, explicit not-graded records and run totals."""

from __future__ import annotations

import asyncio

from test_batch import RecordingEngine, engines_with, make_transcript
from winback_grader import GraderConfig, Scorecard, load_rubric
from winback_grader.batch import BatchRun, RunTotals
from winback_grader.scorecard import Usage


def run_batch(
    config: GraderConfig, llm: RecordingEngine, count: int
) -> tuple[list[Scorecard], RunTotals]:
    rubric = load_rubric("winback")
    transcripts = [make_transcript(f"call-{n}") for n in range(count)]

    async def run_all() -> tuple[list[Scorecard], RunTotals]:
        with BatchRun(rubric, config, engines=engines_with(llm)) as run:
            cards = [card async for _, card in run.stream(transcripts)]
            return cards, run.totals

    return asyncio.run(run_all())


def test_cost_limit_stops_new_calls() -> None:
    config = GraderConfig(model="openai/test-model", concurrency=1, max_cost_usd=0.05, cache=False)
    llm = RecordingEngine(cost=0.01)

    scorecards, totals = run_batch(config, llm, count=2)

    # With one slot, the call that brings spending to the limit is the last one sent.
    assert len(llm.calls) == 5
    assert totals.usage.cost_usd == 0.05
    assert totals.not_graded == 2 * 15 - 5
    skipped = [g for card in scorecards for g in card.grades if g.status == "error"]
    assert len(skipped) == 25
    assert skipped[0].error == "not graded: cost limit reached (max_cost_usd=0.05)"
    assert all(card.total is None for card in scorecards)


def test_cost_limit_overshoot_is_bounded_by_concurrency() -> None:
    config = GraderConfig(model="openai/test-model", concurrency=4, max_cost_usd=0.05, cache=False)
    llm = RecordingEngine(cost=0.01)

    _, totals = run_batch(config, llm, count=2)

    # Calls already in flight when the limit is reached still finish and are paid for.
    assert 5 <= len(llm.calls) <= 5 + 4 - 1
    assert totals.usage.calls == len(llm.calls)


def test_no_cost_limit_grades_everything() -> None:
    config = GraderConfig(model="openai/test-model", concurrency=4, cache=False)
    llm = RecordingEngine(cost=0.01)

    scorecards, totals = run_batch(config, llm, count=2)

    assert totals.not_graded == 0
    assert all(card.total is not None for card in scorecards)


def test_summary_reports_unknown_price_as_unknown() -> None:
    totals = RunTotals(transcripts=1, usage=Usage(calls=15, prompt_tokens=1500, unpriced_calls=15))
    line = totals.summary()
    assert "cost unknown (no price for the model)" in line
    assert "$0" not in line


def test_summary_reports_priced_and_unpriced_calls() -> None:
    totals = RunTotals(transcripts=1, usage=Usage(calls=3, cost_usd=0.012, unpriced_calls=1))
    assert "cost $0.0120 plus 1 unpriced call(s)" in totals.summary()


def test_summary_lists_calls_hits_and_tokens() -> None:
    usage = Usage(calls=4, cached_calls=11, prompt_tokens=400, completion_tokens=80, cost_usd=0.5)
    line = RunTotals(transcripts=1, usage=usage).summary()
    assert line == (
        "1 transcript(s) graded; 4 model call(s); 11 cache hit(s); "
        "400 prompt + 80 completion tokens; cost $0.5000"
    )

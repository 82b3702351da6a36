"""Cost control: the max_cost_usd limit, explicit not-graded records and run totals."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from grading_responder import GradingResponder
from openai_server import OpenAIServer
from test_batch import RecordingEngine, engines_with, make_transcript
from winback_grader import (
    GraderConfig,
    Rubric,
    Scorecard,
    Transcript,
    grade,
    grade_many,
    load_rubric,
)
from winback_grader.batch import BatchRun, CostBudget, RunTotals, call_size
from winback_grader.engines.base import EngineResult
from winback_grader.estimate import RunEstimate
from winback_grader.rubric import Criterion
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
    config = GraderConfig(model="openai/gpt-4o-mini", concurrency=1, max_cost_usd=0.05, cache=False)
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


def test_cost_limit_counts_calls_in_flight() -> None:
    config = GraderConfig(model="openai/gpt-4o-mini", concurrency=4, max_cost_usd=0.05, cache=False)
    llm = RecordingEngine(cost=0.01)

    _, totals = run_batch(config, llm, count=2)

    # Calls in flight are counted at the mean cost so far, so the run stops at the limit
    # instead of finishing every call that was in flight when it got there.
    assert len(llm.calls) == 5
    assert totals.usage.cost_usd == pytest.approx(0.05)
    assert totals.not_graded == 2 * 15 - 5


def test_cost_limit_below_first_calls() -> None:
    config = GraderConfig(
        model="openai/gpt-4o-mini", concurrency=4, max_cost_usd=0.015, cache=False
    )
    llm = RecordingEngine(cost=0.01)

    _, totals = run_batch(config, llm, count=2)

    # No cost is known before the first call finishes, so it goes alone. The second call
    # crosses the limit, and the other two slots never send.
    assert len(llm.calls) == 2
    assert totals.usage.cost_usd == pytest.approx(0.02)


def test_cost_limit_keeps_concurrency_once_priced() -> None:
    config = GraderConfig(model="openai/gpt-4o-mini", concurrency=4, max_cost_usd=10.0, cache=False)
    llm = RecordingEngine(cost=0.01)

    _, totals = run_batch(config, llm, count=2)

    # The first call goes alone. Then the calls in flight grow with the calls finished.
    assert totals.not_graded == 0
    assert llm.max_in_flight == 4


def test_failed_call_frees_its_reservation() -> None:
    config = GraderConfig(model="openai/gpt-4o-mini", concurrency=2, max_cost_usd=0.05, cache=False)
    llm = RecordingEngine(cost=0.01, fail_on=load_rubric("winback").criteria[0].id)

    scorecards, totals = run_batch(config, llm, count=2)

    # The failed calls spent nothing, and the paid calls still reach the limit.
    assert totals.usage.cost_usd == pytest.approx(0.05)
    failed = [g for card in scorecards for g in card.grades if "boom" in (g.error or "")]
    assert len(failed) >= 1


class SizedCostEngine(RecordingEngine):
    """Charges each call in proportion to its transcript's length, as a provider does."""

    def __init__(self, dollars_per_char: float) -> None:
        super().__init__()
        self.dollars_per_char = dollars_per_char
        self.charged: list[float] = []

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        result = await super().grade(transcript, rubric, criteria)
        cost = call_size(transcript) * self.dollars_per_char
        self.charged.append(cost)
        return EngineResult(grades=result.grades, usage=Usage(calls=1, cost_usd=cost))


def padded_transcript(number: int, extra_turns: int) -> Transcript:
    base = make_transcript(f"call-{number}")
    turns = [*base.turns, *[base.turns[2]] * extra_turns]
    return base.model_copy(update={"turns": turns})


def test_cost_limit_follows_call_size() -> None:
    # Four short calls, then long ones that cost 40 times as much per criterion. A limit that
    # counted the calls in flight at the short calls' price would let eight long ones start.
    rubric = load_rubric("winback")
    transcripts = [padded_transcript(n, 0 if n < 4 else 100) for n in range(12)]
    llm = SizedCostEngine(dollars_per_char=1e-6)
    long_call = call_size(transcripts[-1]) * 1e-6
    limit = round(4 * len(rubric.criteria) * call_size(transcripts[0]) * 1e-6 + 3 * long_call, 6)
    config = GraderConfig(
        model="openai/gpt-4o-mini", concurrency=8, max_cost_usd=limit, cache=False
    )

    async def run_all() -> RunTotals:
        with BatchRun(rubric, config, engines=engines_with(llm)) as run:
            async for _ in run.stream(transcripts):
                pass
            return run.totals

    totals = asyncio.run(run_all())

    spent = totals.usage.cost_usd or 0.0
    assert spent >= limit
    # Only the call that crossed the limit exceeds it, by at most its own cost.
    assert spent <= limit + long_call
    assert totals.not_graded > 0


class CheapFirstEngine(RecordingEngine):
    """Charges the first call a hundredth of what every later call costs (a short first reply)."""

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        result = await super().grade(transcript, rubric, criteria)
        cost = 0.0001 if len(self.calls) == 1 else 0.01
        return EngineResult(grades=result.grades, usage=Usage(calls=1, cost_usd=cost))


def test_cost_limit_learns_before_fanning_out() -> None:
    config = GraderConfig(model="openai/gpt-4o-mini", concurrency=8, max_cost_usd=0.03, cache=False)
    llm = CheapFirstEngine()

    _, totals = run_batch(config, llm, count=2)

    # Priced at the first call alone, eight calls would start and spend 0.0801. Calls in
    # flight grow with the calls finished, so the second call's price is known in time.
    spent = totals.usage.cost_usd or 0.0
    assert spent >= 0.03
    assert spent <= 0.03 + 0.01
    assert llm.max_in_flight <= 2


def test_short_calls_count_at_call_cost() -> None:
    # Four long calls price a character low. A short call costs as much as a long one (the
    # instructions, rubric and reply do not shrink with the transcript), so counted by its
    # characters alone four short calls would start below a limit that fits one more.
    async def scenario() -> tuple[bool, bool, bool]:
        budget = CostBudget(0.05)
        for _ in range(4):
            assert await budget.reserve(1000)
            budget.settle(1000, Usage(calls=1, cost_usd=0.01))
        first = await budget.reserve(10)
        second = asyncio.ensure_future(budget.reserve(10))
        await asyncio.sleep(0)
        waited = not second.done()
        budget.settle(10, Usage(calls=1, cost_usd=0.01))
        return first, waited, await second

    first, waited, second = asyncio.run(scenario())

    assert first is True
    assert waited is True
    assert second is False


def test_no_cost_limit_grades_everything() -> None:
    config = GraderConfig(model="openai/gpt-4o-mini", concurrency=4, cache=False)
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


# -- the command line against the loopback server -----------------------------------------------


def run_cli(server: OpenAIServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENAI_API_BASE": server.base_url,
        "OPENAI_API_KEY": "sk-test",
        "WINBACK_GRADER_CACHE_DIR": str(tmp_path / "cache"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    command = [str(Path(sys.executable).with_name("winback-grader")), "grade", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_dry_run_sends_nothing(call_folder: Path, tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o-mini",
                         "--dry-run")
        sent = len(server.chat_requests())

    assert result.returncode == 0, result.stderr
    assert sent == 0
    assert result.stdout.startswith("dry run: 2 transcript(s), 30 model call(s) to openai/gpt-4o")
    assert "estimated prompt cost $" in result.stdout
    assert "nothing was sent" in result.stdout


def grade_first_call(server: OpenAIServer, tmp_path: Path, call_folder: Path) -> Path:
    """Grade call-0 with gpt-4o-mini into a results file, as an earlier run would have."""
    out = tmp_path / "results.jsonl"
    first = run_cli(server, tmp_path, str(call_folder / "call-0.txt"), "--model",
                    "openai/gpt-4o-mini", "--out", str(out), "--format", "jsonl")
    assert first.returncode == 0, first.stderr
    return out


def test_dry_run_skips_graded_calls(call_folder: Path, tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        out = grade_first_call(server, tmp_path, call_folder)
        # A killed run leaves a half-written last line, which only the real run may cut.
        with out.open("ab") as handle:
            handle.write(b'{"transcript_id": "call-1", "rubr')
        before = out.read_bytes()
        graded = len(server.chat_requests())
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o-mini",
                         "--out", str(out), "--format", "jsonl", "--dry-run")
        sent = len(server.chat_requests()) - graded

    assert result.returncode == 0, result.stderr
    assert sent == 0
    assert result.stdout.startswith("dry run: 1 transcript(s), 15 model call(s) to openai/gpt-4o")
    assert f"1 transcript(s) already in {out} are skipped" in result.stdout
    assert out.read_bytes() == before


def test_dry_run_estimates_completion_tokens(call_folder: Path, tmp_path: Path) -> None:
    import litellm

    # Each reply reports 35 completion tokens, so the earlier run's mean is 35 per request.
    with OpenAIServer(GradingResponder(completion_tokens=35, model="gpt-4o-mini")) as server:
        out = grade_first_call(server, tmp_path, call_folder)
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o-mini",
                         "--out", str(out), "--format", "jsonl", "--dry-run")

    assert result.returncode == 0, result.stderr
    found = re.search(r"about (\d+) prompt tokens and (\d+) completion tokens", result.stdout)
    assert found is not None, result.stdout
    prompt_tokens, completion_tokens = int(found.group(1)), int(found.group(2))
    assert completion_tokens == 15 * 35
    assert f"(at the mean per request of 15 request(s) in {out})" in result.stdout
    prompt_cost, completion_cost = litellm.cost_per_token(
        model="openai/gpt-4o-mini", prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
    )
    assert f"estimated cost ${prompt_cost + completion_cost:.4f};" in result.stdout
    assert "completion tokens, retries" not in result.stdout


def test_completion_estimate_without_price() -> None:
    estimate = RunEstimate(model="openai/test-model", transcripts=1, calls=10, prompt_tokens=900)

    estimate.add_completion_estimate(20.4, "12 request(s) in r.jsonl")

    assert estimate.completion_tokens == 204
    assert estimate.completion_cost_usd is None
    assert estimate.summary() == (
        "dry run: 1 transcript(s), 10 model call(s) to openai/test-model, about 900 prompt "
        "tokens and 204 completion tokens (at the mean per request of 12 request(s) in "
        "r.jsonl), cost unknown (litellm has no price for 'openai/test-model'); retries and "
        "cache hits are not included; nothing was sent"
    )


def test_dry_run_rejects_foreign_results(call_folder: Path, tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        out = grade_first_call(server, tmp_path, call_folder)
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o",
                         "--out", str(out), "--format", "jsonl", "--dry-run")

    assert result.returncode == 2
    assert f"{out}: line 1 was graded with rubric 'winback'" in result.stderr
    assert "pass another --out file" in result.stderr


def test_dry_run_strategy_changes_calls(call_folder: Path, tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/test-model",
                         "--dry-run", "--strategy", "section")
    assert "2 transcript(s), 12 model call(s)" in result.stdout
    assert "prompt cost unknown (litellm has no price for 'openai/test-model')" in result.stdout


def test_max_cost_stops_and_reports(call_folder: Path, tmp_path: Path) -> None:
    # gpt-4o-mini by litellm's bundled price table: 1,000 prompt tokens cost more than $0.0001,
    # so the limit is reached by the first reply.
    responder = GradingResponder(prompt_tokens=1000, model="gpt-4o-mini")
    with OpenAIServer(responder) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o-mini",
                         "--max-cost", "0.0001", "--concurrency", "1", "--format", "jsonl")
        sent = len(server.chat_requests())

    assert result.returncode == 1
    assert sent == 1
    # The summary counts the criteria left ungraded instead of one error line for each.
    assert "not graded: cost limit reached" not in result.stderr.split("\n")[0]
    assert "error: call-0" not in result.stderr
    assert "2 transcript(s), 2 with criteria in error; 1 model call(s)" in result.stderr
    assert "29 criteria not graded: cost limit reached" in result.stderr
    assert (
        "29 criteria were not graded because --max-cost 0.0001 was reached. With the cache on, "
        "a rerun sends only what was not graded; pass --out FILE.jsonl"
    ) in result.stderr
    cards = [json.loads(line) for line in result.stdout.splitlines()]
    statuses = [grade["status"] for card in cards for grade in card["grades"]]
    assert statuses.count("scored") == 1
    assert statuses.count("error") == 29
    errors = [grade["error"] for card in cards for grade in card["grades"] if grade["error"]]
    assert errors[0] == "not graded: cost limit reached (max_cost_usd=0.0001)"


def test_limited_run_resumes_with_retry_errors(call_folder: Path, tmp_path: Path) -> None:
    responder = GradingResponder(prompt_tokens=1000, model="gpt-4o-mini")
    out = tmp_path / "results.jsonl"
    options = ["--model", "openai/gpt-4o-mini", "--out", str(out), "--format", "jsonl"]
    with OpenAIServer(responder) as server:
        limited = run_cli(server, tmp_path, str(call_folder), *options, "--max-cost", "0.0001")
        first_sent = len(server.chat_requests())
        rest = run_cli(server, tmp_path, str(call_folder), *options, "--retry-errors")
        second_sent = len(server.chat_requests()) - first_sent

    assert limited.returncode == 1
    assert first_sent == 1
    assert (
        "29 criteria were not graded because --max-cost 0.0001 was reached. Run the same "
        "command with --retry-errors and a higher --max-cost to grade them"
    ) in limited.stderr
    assert "criteria graded in lines with errors come from the cache" in limited.stderr
    # The criterion graded before the limit comes from the cache, so it is not paid twice.
    assert rest.returncode == 0, rest.stderr
    assert second_sent == 29
    assert "2 transcript(s) graded; 29 model call(s); 1 cache hit(s)" in rest.stderr
    cards = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [card["transcript_id"] for card in cards] == ["call-0", "call-1"]
    assert all(grade["status"] == "scored" for card in cards for grade in card["grades"])


def test_dry_run_counts_error_lines(call_folder: Path, tmp_path: Path) -> None:
    responder = GradingResponder(prompt_tokens=1000, model="gpt-4o-mini")
    out = tmp_path / "results.jsonl"
    options = ["--model", "openai/gpt-4o-mini", "--out", str(out), "--format", "jsonl"]
    with OpenAIServer(responder) as server:
        run_cli(server, tmp_path, str(call_folder), *options, "--max-cost", "0.0001")
        result = run_cli(server, tmp_path, str(call_folder), *options, "--dry-run")
        retry = run_cli(server, tmp_path, str(call_folder), *options, "--dry-run",
                        "--retry-errors")
        sent = len(server.chat_requests())

    assert sent == 1
    assert result.returncode == 0, result.stderr
    assert "dry run: 0 transcript(s), 0 model call(s)" in result.stdout
    assert "2 transcript(s) already in" in result.stdout
    assert (
        f"; 2 of the lines in {out} contain criteria in error, which only a run with "
        "--retry-errors grades again"
    ) in result.stdout
    # With --retry-errors both calls are estimated in full, as the real run regrades them.
    assert retry.returncode == 0, retry.stderr
    assert "dry run: 2 transcript(s), 30 model call(s)" in retry.stdout
    assert (
        f"; 2 transcript(s) with criteria in error in {out} are counted in full, though their "
        "criteria graded there come from the cache"
    ) in retry.stdout
    assert "contain criteria in error, which only" not in retry.stdout


def test_limit_hint_after_no_cache(call_folder: Path, tmp_path: Path) -> None:
    responder = GradingResponder(prompt_tokens=1000, model="gpt-4o-mini")
    out = tmp_path / "results.jsonl"
    with OpenAIServer(responder) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o-mini",
                         "--out", str(out), "--format", "jsonl", "--no-cache",
                         "--max-cost", "0.0001")

    assert result.returncode == 1
    assert (
        "Run the same command without --no-cache, with --retry-errors and a higher --max-cost, "
        "to grade them"
    ) in result.stderr
    assert "their calls are sent and paid again" in result.stderr


def test_limit_hint_without_out_or_cache(call_folder: Path, tmp_path: Path) -> None:
    responder = GradingResponder(prompt_tokens=1000, model="gpt-4o-mini")
    with OpenAIServer(responder) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o-mini",
                         "--format", "jsonl", "--no-cache", "--max-cost", "0.0001")

    assert result.returncode == 1
    assert (
        "29 criteria were not graded because --max-cost 0.0001 was reached. This run wrote "
        "nothing to the cache, so a rerun sends every call again; pass --out FILE.jsonl"
    ) in result.stderr


def test_offline_max_cost_has_no_effect(call_folder: Path, tmp_path: Path) -> None:
    command = [str(Path(sys.executable).with_name("winback-grader")), "grade",
               str(call_folder / "call-0.txt"), "--max-cost", "0.001", "--format", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "note: --max-cost has no effect on the offline engine" in result.stderr
    assert dry.returncode == 0, dry.stderr
    assert "max-cost" not in dry.stdout


def test_grade_obeys_max_cost(call_folder: Path, tmp_path: Path) -> None:
    # 1,000 prompt tokens of gpt-4o-mini cost more than $0.0001, so the first reply spends it.
    responder = GradingResponder(prompt_tokens=1000, model="gpt-4o-mini")
    with OpenAIServer(responder) as server:
        card = grade(call_folder / "call-0.txt", model="openai/gpt-4o-mini",
                     api_base=server.base_url, api_key="sk-test", cache=False,
                     concurrency=1, max_cost_usd=0.0001)
        sent = len(server.chat_requests())

    assert sent == 1
    assert card.usage.calls == 1
    not_graded = [g for g in card.grades if (g.error or "").startswith("not graded: cost limit")]
    assert len(not_graded) == len(card.grades) - 1
    assert card.total is None


def test_cached_grades_pass_cost_limit(call_folder: Path, tmp_path: Path) -> None:
    responder = GradingResponder(prompt_tokens=1000, model="gpt-4o-mini")
    options = {"model": "openai/gpt-4o-mini", "api_key": "sk-test",
               "cache_dir": tmp_path / "cache", "concurrency": 1}
    with OpenAIServer(responder) as server:
        warm = grade(call_folder / "call-0.txt", api_base=server.base_url, **options)
        before = len(server.chat_requests())
        cards = grade_many([call_folder / "call-1.txt", call_folder / "call-0.txt"],
                           api_base=server.base_url, max_cost_usd=0.0001, **options)
        sent = len(server.chat_requests()) - before

    assert warm.errors == []
    # call-1's first request spends the limit; call-0 comes from the cache, which costs nothing.
    assert sent == 1
    assert cards[1].errors == []
    assert cards[1].usage.cached_calls == len(cards[1].grades)
    assert len(cards[0].errors) == len(cards[0].grades) - 1


@pytest.mark.parametrize(
    ("limit", "note"),
    [
        ("0.0001", "; the estimated cost is above --max-cost $0.0001, so the run would stop "
                   "before it grades every call"),
        ("100", "; with completion tokens the run can still reach --max-cost $100.0000. Pass "
                "--out with the results file of an earlier run of these settings"),
    ],
)
def test_dry_run_notes_max_cost(
    limit: str, note: str, call_folder: Path, tmp_path: Path
) -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/gpt-4o-mini",
                         "--dry-run", "--max-cost", limit)

    assert result.returncode == 0, result.stderr
    assert note in result.stdout


def test_dry_run_checks_max_cost_price(call_folder: Path, tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/test-model",
                         "--dry-run", "--max-cost", "1")

    assert result.returncode == 2
    assert "max_cost_usd=1.0 needs the model's price" in result.stderr
    assert result.stdout == ""


def test_max_cost_needs_known_price(call_folder: Path, tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/test-model",
                         "--max-cost", "1")
        sent = len(server.chat_requests())
    assert result.returncode == 2
    assert sent == 0
    assert "litellm has no price for 'openai/test-model'" in result.stderr


def test_totals_line_ends_run(call_folder: Path, tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "openai/test-model",
                         "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "2 transcript(s) graded; 30 model call(s); 0 cache hit(s); "
        "3000 prompt + 600 completion tokens; cost unknown (no price for the model)"
    )

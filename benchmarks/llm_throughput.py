"""Measure LLM-path throughput and client CPU against a loopback server in another process.

    .venv/bin/python benchmarks/llm_throughput.py [--part latency|bare|all]

latency: 1,000 model calls (100 transcripts x 10 criteria) at concurrency 32 with replies
    after 500 ms; wall time against the ideal of calls x 0.5 s / 32.
bare: 3,000 calls at concurrency 32 with replies after 100 ms, graded by grade_many, and
    3,000 bare ``litellm.acompletion`` calls with the same messages and tool schema at the
    same concurrency; throughput ratio, and client CPU seconds per call
    (``time.process_time`` of this process; the server runs in its own process).

The cache is off, so every criterion is one model call. Only transcripts with two speakers
are used: the grader sends no model call for a one-speaker transcript, so counting those
would overstate the calls made. Both paths are warmed up first, so the figures leave out
imports and first-call setup.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from _loopback import LoopbackServer
from _workload import example_transcripts, sized_rubric

from winback_grader import Rubric, Transcript, agrade_many
from winback_grader.engines.response_models import criterion_reply_model
from winback_grader.prompts import PromptRenderer

MODEL = "openai/test-model"
CONCURRENCY = 32
CRITERIA = 10


def gradable_transcripts(count: int) -> list[Transcript]:
    """Return ``count`` transcripts from examples/ that the grader sends to the model."""
    transcripts: list[Transcript] = []
    pool = count
    while len(transcripts) < count:
        pool *= 2
        transcripts = [t for t in example_transcripts(pool) if t.ungradable_reason() is None]
    return transcripts[:count]


def grade_options(base_url: str) -> dict[str, Any]:
    return {"model": MODEL, "api_base": base_url, "api_key": "sk-bench", "cache": False,
            "concurrency": CONCURRENCY}


async def run_ours(
    transcripts: list[Transcript], rubric: Rubric, base_url: str
) -> tuple[float, float]:
    """Grade with agrade_many; return (wall seconds, CPU seconds)."""
    wall, cpu = time.perf_counter(), time.process_time()
    scorecards = await agrade_many(transcripts, rubric, **grade_options(base_url))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    errors = sum(len(card.errors) for card in scorecards)
    if errors:
        raise SystemExit(f"{errors} criteria ended in error; the figures would be wrong")
    sent = sum(card.usage.calls for card in scorecards)
    expected = len(transcripts) * len(rubric.criteria)
    if sent != expected:
        raise SystemExit(f"{sent} model requests sent where {expected} were expected")
    return wall, cpu


def bare_requests(transcripts: list[Transcript], rubric: Rubric) -> list[dict[str, Any]]:
    """Build the same messages and tool schema the engine sends, one request per criterion."""
    renderer = PromptRenderer()
    requests = []
    for transcript in transcripts:
        for criterion in rubric.criteria:
            reply_model = criterion_reply_model(criterion)
            tool = {"type": "function", "function": {
                "name": reply_model.__name__, "parameters": reply_model.model_json_schema()}}
            requests.append({
                "messages": renderer.render_messages(transcript, rubric, [criterion]),
                "tools": [tool],
                "tool_choice": {"type": "function", "function": {"name": reply_model.__name__}},
            })
    return requests


async def run_bare(requests: list[dict[str, Any]], base_url: str) -> tuple[float, float]:
    """Send the requests with bare litellm.acompletion; return (wall seconds, CPU seconds)."""
    import litellm

    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(request: dict[str, Any]) -> None:
        async with slots:
            await litellm.acompletion(model=MODEL, api_base=base_url, api_key="sk-bench",
                                      temperature=0, num_retries=0, max_retries=0, **request)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(r) for r in requests))
    return time.perf_counter() - wall, time.process_time() - cpu


def part_latency() -> None:
    rubric = sized_rubric(CRITERIA)
    transcripts = gradable_transcripts(100)
    calls = len(transcripts) * len(rubric.criteria)
    with LoopbackServer(delay=0.5) as server:
        asyncio.run(run_ours(gradable_transcripts(4), rubric, server.base_url))  # warm-up
        wall, cpu = asyncio.run(run_ours(transcripts, rubric, server.base_url))
    ideal = calls * 0.5 / CONCURRENCY
    print(f"latency 500 ms: {calls} calls at concurrency {CONCURRENCY}: wall {wall:.2f} s, "
          f"ideal {ideal:.2f} s, ideal/wall {ideal / wall:.3f}; client CPU {cpu:.2f} s")


def part_bare() -> None:
    rubric = sized_rubric(CRITERIA)
    transcripts = gradable_transcripts(300)
    calls = len(transcripts) * len(rubric.criteria)
    requests = bare_requests(transcripts, rubric)
    with LoopbackServer(delay=0.1) as server:
        asyncio.run(run_bare(requests[:64], server.base_url))  # warm-up
        asyncio.run(run_ours(gradable_transcripts(4), rubric, server.base_url))
        bare_wall, bare_cpu = asyncio.run(run_bare(requests, server.base_url))
        ours_wall, ours_cpu = asyncio.run(run_ours(transcripts, rubric, server.base_url))
    print(f"latency 100 ms: {calls} calls at concurrency {CONCURRENCY}")
    print(f"  bare litellm.acompletion: wall {bare_wall:.2f} s, {calls / bare_wall:.1f} calls/s, "
          f"CPU {1000 * bare_cpu / calls:.2f} ms/call")
    print(f"  grade_many:               wall {ours_wall:.2f} s, {calls / ours_wall:.1f} calls/s, "
          f"CPU {1000 * ours_cpu / calls:.2f} ms/criterion")
    print(f"  throughput ours/bare {bare_wall / ours_wall:.3f}; CPU per criterion ours/bare "
          f"{ours_cpu / bare_cpu:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["latency", "bare", "all"], default="all")
    part = parser.parse_args().part
    if part in ("latency", "all"):
        part_latency()
    if part in ("bare", "all"):
        part_bare()


if __name__ == "__main__":
    main()

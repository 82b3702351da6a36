"""Measure LLM-path throughput and client CPU against a loopback server in another process.

    .venv/bin/python benchmarks/llm_throughput.py [--part latency|bare|all] [--rounds 3]
        [--isolate]

latency: 1,000 model calls (100 transcripts x 10 criteria) at concurrency 32 with replies
    after 500 ms; wall time against the ideal of calls x 0.5 s / 32. Each round also sends
    the same requests as raw aiohttp posts and as bare ``litellm.acompletion`` calls: the
    first shows what the server and the event loop allow, the second what litellm allows.
bare: 3,000 calls at concurrency 32 with replies after 100 ms, graded by grade_many, and
    3,000 bare ``litellm.acompletion`` calls with the same messages and tool schema at the
    same concurrency; throughput ratio, and client CPU seconds per call
    (``time.process_time`` of this process; the server runs in its own process).

The paths alternate within each round, and the script prints each round and the median, because
two runs of the same path on this 2-core machine differ by up to 20%.

With ``--isolate`` each path of each round runs in a fresh child process of its own (it warms
up first, then measures), so no path runs in a process that an earlier path has used. Without
it all paths share this process, and the order matters: grade_many measured right after the
raw aiohttp path used 5.97 to 7.29 ms of CPU per call, against 5.07 to 6.23 ms when it ran
alone (2026-12-05); the cause was not found.

The cache is off, so every criterion is one model call. Only transcripts with two speakers
are used: the grader sends no model call for a one-speaker transcript, so counting those
would overstate the calls made. Every path is warmed up first, so the figures leave out
imports and first-call setup.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from _loopback import LoopbackServer
from _workload import example_transcripts, sized_rubric

from winback_grader import Rubric, Transcript, agrade_many
from winback_grader.engines.response_models import criterion_reply_model
from winback_grader.prompts import PromptRenderer

MODEL = os.environ.get("WINBACK_BENCH_MODEL", "openai/test-model")
"""The model string of every call. litellm has no price for the default, which takes litellm's
slower unpriced path; WINBACK_BENCH_MODEL=openai/gpt-4o-mini measures a priced model."""
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


async def run_raw(requests: list[dict[str, Any]], base_url: str) -> tuple[float, float]:
    """Post the requests with one aiohttp session; return (wall seconds, CPU seconds)."""
    import aiohttp

    slots = asyncio.Semaphore(CONCURRENCY)
    url = f"{base_url}/chat/completions"
    async with aiohttp.ClientSession() as session:

        async def one(request: dict[str, Any]) -> None:
            async with slots, session.post(url, json={"model": "test-model", **request}) as reply:
                await reply.read()

        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(r) for r in requests))
        return time.perf_counter() - wall, time.process_time() - cpu


Timed = Callable[[], tuple[float, float]]

PATHS = ("raw", "bare", "ours")


def measure(path: str, url: str, transcript_count: int) -> tuple[float, float]:
    """Warm up, then time one path over ``transcript_count`` transcripts x CRITERIA criteria."""
    rubric = sized_rubric(CRITERIA)
    transcripts = gradable_transcripts(transcript_count)
    requests = bare_requests(transcripts, rubric)
    if path == "raw":
        asyncio.run(run_raw(requests[:64], url))
        return asyncio.run(run_raw(requests, url))
    if path == "bare":
        asyncio.run(run_bare(requests[:64], url))
        return asyncio.run(run_bare(requests, url))
    asyncio.run(run_ours(gradable_transcripts(4), rubric, url))
    return asyncio.run(run_ours(transcripts, rubric, url))


def in_child(path: str, url: str, transcript_count: int) -> Timed:
    """Return a Timed that runs ``measure`` in a fresh Python process."""

    def timed() -> tuple[float, float]:
        command = [sys.executable, __file__, "--measure", path, "--url", url,
                   "--transcripts", str(transcript_count)]
        finished = subprocess.run(command, capture_output=True, text=True, check=True)
        wall, cpu = finished.stdout.split()[-2:]
        return float(wall), float(cpu)

    return timed


def run_rounds(paths: dict[str, Timed], rounds: int) -> dict[str, list[tuple[float, float]]]:
    """Run every path once per round, in an order that rotates each round."""
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
    names = list(paths)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(paths[name]())
    return results


def part_latency(rounds: int, isolate: bool = False) -> None:
    rubric = sized_rubric(CRITERIA)
    transcripts = gradable_transcripts(100)
    calls = len(transcripts) * len(rubric.criteria)
    requests = bare_requests(transcripts, rubric)
    ideal = calls * 0.5 / CONCURRENCY
    with LoopbackServer(delay=0.5) as server:
        url = server.base_url
        paths: dict[str, Timed]
        if isolate:
            paths = dict(zip(("raw aiohttp", "bare litellm", "grade_many"),
                             (in_child(path, url, len(transcripts)) for path in PATHS),
                             strict=True))
        else:
            asyncio.run(run_raw(requests[:64], url))  # warm-up
            asyncio.run(run_bare(requests[:64], url))
            asyncio.run(run_ours(gradable_transcripts(4), rubric, url))
            paths = {
                "raw aiohttp": lambda: asyncio.run(run_raw(requests, url)),
                "bare litellm": lambda: asyncio.run(run_bare(requests, url)),
                "grade_many": lambda: asyncio.run(run_ours(transcripts, rubric, url)),
            }
        results = run_rounds(paths, rounds)
    where = "each run in a fresh process" if isolate else "all runs in one process"
    print(f"latency 500 ms ({where}): {calls} calls at concurrency {CONCURRENCY}, "
          f"ideal {ideal:.2f} s (32 full rounds of 0.5 s take "
          f"{-(-calls // CONCURRENCY) * 0.5:.2f} s)")
    for name, runs in results.items():
        ratios = ", ".join(f"{ideal / wall:.3f}" for wall, _ in runs)
        median_wall = statistics.median(wall for wall, _ in runs)
        median_cpu = statistics.median(cpu for _, cpu in runs)
        print(f"  {name:13} median wall {median_wall:.2f} s, ideal/wall "
              f"{ideal / median_wall:.3f} (rounds: {ratios}); CPU {1000 * median_cpu / calls:.2f} "
              "ms/call")


def part_bare(rounds: int, isolate: bool = False) -> None:
    rubric = sized_rubric(CRITERIA)
    transcripts = gradable_transcripts(300)
    calls = len(transcripts) * len(rubric.criteria)
    requests = bare_requests(transcripts, rubric)
    with LoopbackServer(delay=0.1) as server:
        url = server.base_url
        paths: dict[str, Timed]
        if isolate:
            paths = {path: in_child(path, url, len(transcripts)) for path in ("bare", "ours")}
        else:
            asyncio.run(run_bare(requests[:64], url))  # warm-up
            asyncio.run(run_ours(gradable_transcripts(4), rubric, url))
            paths = {
                "bare": lambda: asyncio.run(run_bare(requests, url)),
                "ours": lambda: asyncio.run(run_ours(transcripts, rubric, url)),
            }
        results = run_rounds(paths, rounds)
    pairs = list(zip(results["bare"], results["ours"], strict=True))
    where = "each run in a fresh process" if isolate else "all runs in one process"
    print(f"latency 100 ms ({where}): {calls} calls at concurrency {CONCURRENCY}")
    for number, (bare, ours) in enumerate(pairs, start=1):
        (bare_wall, bare_cpu), (ours_wall, ours_cpu) = bare, ours
        print(f"  round {number}: bare litellm {calls / bare_wall:.1f} calls/s, "
              f"{1000 * bare_cpu / calls:.2f} ms CPU/call; grade_many {calls / ours_wall:.1f} "
              f"calls/s, {1000 * ours_cpu / calls:.2f} ms CPU/criterion; throughput ours/bare "
              f"{bare_wall / ours_wall:.3f}, CPU ours/bare {ours_cpu / bare_cpu:.2f}x")
    throughput = statistics.median(
        bare[0] / ours[0] for bare, ours in pairs
    )
    cpu_ratio = statistics.median(
        ours[1] / bare[1] for bare, ours in pairs
    )
    print(f"  median of {rounds} rounds: throughput ours/bare {throughput:.3f}; CPU per "
          f"criterion ours/bare {cpu_ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["latency", "bare", "all"], default="all")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each path (default 3)")
    parser.add_argument("--isolate", action="store_true",
                        help="run each path of each round in a fresh child process")
    # Used by --isolate: the child process measures one path and prints "WALL CPU".
    parser.add_argument("--measure", choices=PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--transcripts", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        wall, cpu = measure(arguments.measure, arguments.url, arguments.transcripts)
        print(wall, cpu)
        return
    if arguments.part in ("latency", "all"):
        part_latency(arguments.rounds, arguments.isolate)
    if arguments.part in ("bare", "all"):
        part_bare(arguments.rounds, arguments.isolate)


if __name__ == "__main__":
    main()

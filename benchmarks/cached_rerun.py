"""Measure a fully cached rerun: criteria per second when every grade comes from the disk cache.

    .venv/bin/python benchmarks/cached_rerun.py [--transcripts 200]

The first run grades every criterion of the default rubric against a loopback server in
another process and fills a fresh cache folder; the second, identical run must send nothing.
The figure is criteria per wall second and per CPU second of the second run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from _loopback import LoopbackServer
from _workload import example_transcripts

from winback_grader import agrade_many, load_rubric


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=200)
    count = parser.parse_args().transcripts
    rubric = load_rubric("winback")
    transcripts = example_transcripts(count)

    with tempfile.TemporaryDirectory() as cache_dir, LoopbackServer(delay=0.0) as server:
        options = {"model": "openai/test-model", "api_base": server.base_url,
                   "api_key": "sk-bench", "cache_dir": cache_dir, "concurrency": 32}
        first = asyncio.run(agrade_many(transcripts, rubric, **options))
        wall, cpu = time.perf_counter(), time.process_time()
        second = asyncio.run(agrade_many(transcripts, rubric, **options))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    criteria = sum(len(card.grades) for card in second)
    sent = sum(card.usage.calls for card in second)
    hits = sum(card.usage.cached_calls for card in second)
    print(f"first run: {sum(card.usage.calls for card in first)} model calls")
    print(f"cached rerun: {criteria} criteria, {sent} model calls, {hits} cache hits; "
          f"wall {wall:.2f} s = {criteria / wall:.0f} criteria/s; "
          f"CPU {cpu:.2f} s = {criteria / cpu:.0f} criteria/CPU-s")


if __name__ == "__main__":
    main()

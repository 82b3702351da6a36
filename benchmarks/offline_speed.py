"""Measure offline grading speed: 1,000 transcripts of about 60 turns, default rubric, one core.

    .venv/bin/python benchmarks/offline_speed.py [--calls 1000] [--turns 60] [--redact] [--repeat 3]

Transcripts are built from the turns of the calls in examples/, shuffled with a fixed seed, so
every run grades the same text. The figure is transcripts per CPU second of this process
(``time.process_time``) in the best of ``--repeat`` runs, because other processes on the
machine disturb it less than wall time. Wall time is printed too. Grading runs in one
thread, so it uses one core.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from pathlib import Path

from winback_grader import Transcript, Turn, load_rubric, load_transcript
from winback_grader.config import GraderConfig
from winback_grader.engines.phrases import OfflineEngine
from winback_grader.grading import grade_transcript
from winback_grader.transcript import Role

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def build_transcripts(calls: int, turns: int, seed: int = 7) -> list[Transcript]:
    """Build ``calls`` transcripts of ``turns`` alternating agent and customer turns."""
    pool: dict[str, list[str]] = {"agent": [], "customer": []}
    # Examples are written to hit many phrases, so this text matches more than a typical call.
    for path in sorted(EXAMPLES.glob("call-*")):
        if path.name.endswith((".meta.json", ".meta.yaml")):
            continue
        for turn in load_transcript(path).turns:
            if turn.role in pool:
                pool[turn.role].append(turn.text)
    rng = random.Random(seed)
    transcripts = []
    for number in range(calls):
        call_turns = []
        for index in range(turns):
            role: Role = "agent" if index % 2 == 0 else "customer"
            call_turns.append(
                Turn(
                    speaker=role.title(),
                    role=role,
                    text=rng.choice(pool[role]),
                    start=index * 6.0,
                    end=index * 6.0 + 5.0,
                )
            )
        transcripts.append(
            Transcript(
                id=f"bench-{number}",
                turns=call_turns,
                metadata={"agent_id": f"agent-{number % 10}"},
            )
        )
    return transcripts


async def grade_all(transcripts: list[Transcript], *, redact: bool = False) -> None:
    """Grade every transcript with one engine, as the grade command does."""
    rubric = load_rubric("winback")
    # Without --redact this measures the phrase engine alone; grade() redacts by default.
    config = GraderConfig.from_options("offline", redact=redact)
    engines = {"offline": OfflineEngine()}
    for transcript in transcripts:
        await grade_transcript(transcript, rubric, config, engines=engines)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="transcripts to grade")
    parser.add_argument("--turns", type=int, default=60, help="turns per transcript")
    parser.add_argument("--redact", action="store_true", help="redact as grade() does by default")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best one is reported")
    args = parser.parse_args()

    transcripts = build_transcripts(args.calls, args.turns)
    words = sum(len(turn.text.split()) for t in transcripts for turn in t.turns) / len(transcripts)

    # Each repeat grades every transcript with a fresh engine (rubric compiled anew). The best
    # repeat is the figure, as timeit reports it: slower repeats measure the other load.
    runs = []
    for _ in range(args.repeat):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        asyncio.run(grade_all(transcripts, redact=args.redact))
        runs.append((time.process_time() - cpu_start, time.perf_counter() - wall_start))
    cpu, wall = min(runs)

    print(
        f"{args.calls} transcripts x {args.turns} turns (mean {words:.0f} words each), "
        f"rubric winback, offline engine, redaction {'on' if args.redact else 'off'}"
    )
    print(f"CPU time of each repeat: {', '.join(f'{run[0]:.2f} s' for run in runs)}")
    print(f"best CPU time  {cpu:.2f} s  -> {args.calls / cpu:.0f} transcripts per CPU second")
    print(f"its wall time  {wall:.2f} s  -> {args.calls / wall:.0f} transcripts per second")


if __name__ == "__main__":
    main()

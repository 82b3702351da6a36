"""Measure how long ``import winback_grader`` takes, with ``python -X importtime``.

    .venv/bin/python benchmarks/import_time.py [--runs 5]

Each run is a fresh interpreter. The script prints, per run and as a median, the cumulative
wall time that ``-X importtime`` reports for ``winback_grader`` and the CPU time the import
used. Wall time grows when other processes load the machine; CPU time much less so. It fails
when litellm, instructor or openai was imported. The target is 0.3 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys

TARGET_SECONDS = 0.3
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|\s+(\S.*)$")


def measure_once() -> tuple[float, set[str]]:
    """Return (cumulative seconds of ``import winback_grader``, top-level modules imported)."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import winback_grader"],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = None
    modules: set[str] = set()
    for line in completed.stderr.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        name = match.group(3).strip()
        modules.add(name.split(".")[0])
        if name == "winback_grader":
            seconds = int(match.group(2)) / 1_000_000
    if seconds is None:
        raise RuntimeError("python -X importtime printed no line for winback_grader")
    return seconds, modules


_CPU_PROBE = (
    "import time; started = time.process_time(); import winback_grader; "
    "print(time.process_time() - started)"
)


def measure_cpu_once() -> float:
    """Return the CPU seconds that ``import winback_grader`` takes in a fresh interpreter."""
    completed = subprocess.run(
        [sys.executable, "-c", _CPU_PROBE], capture_output=True, text=True, check=True
    )
    return float(completed.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters to time")
    args = parser.parse_args()

    wall_figures: list[float] = []
    cpu_figures: list[float] = []
    for run in range(1, args.runs + 1):
        seconds, modules = measure_once()
        heavy = sorted(modules & {"litellm", "instructor", "openai"})
        if heavy:
            print(f"FAIL: import winback_grader imported {', '.join(heavy)}")
            return 1
        cpu_seconds = measure_cpu_once()
        wall_figures.append(seconds)
        cpu_figures.append(cpu_seconds)
        print(f"run {run}: importtime {seconds:.3f} s wall, {cpu_seconds:.3f} s CPU")

    wall = statistics.median(wall_figures)
    cpu = statistics.median(cpu_figures)
    verdict = "within" if cpu <= TARGET_SECONDS else "over"
    print(
        f"median of {args.runs}: {wall:.3f} s wall, {cpu:.3f} s CPU "
        f"(CPU {verdict} the {TARGET_SECONDS} s target)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

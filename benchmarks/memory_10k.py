"""Measure the peak memory of the grade command streaming 10,000 transcripts to a .jsonl file.

    .venv/bin/python benchmarks/memory_10k.py [--transcripts 10000] [--model offline]
        [--strategy criterion|section|rubric] [--no-cache]

Writes the transcripts of examples/ again and again, each copy under its own file name, into a
temporary folder, runs ``winback-grader grade FOLDER --out results.jsonl --format jsonl`` as a
child process and reads the child's peak resident set size (``ru_maxrss``) from ``wait4``.
With ``--model offline`` (the default) no server is needed; with an LLM model string a
loopback server in another process answers each call at once. The copies repeat the same few
calls, so with the cache on every call after the first copies is a cache hit. ``--no-cache``
sends every call to the server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _loopback import LoopbackServer
from _workload import EXAMPLES


def write_copies(folder: Path, count: int) -> None:
    """Write ``count`` copies of the calls in examples/, each with its own transcript id.

    A text or subtitle copy takes its id from its file name. A JSON copy carries its call_id
    inside, so that is replaced: copies sharing an id would each get a duplicate-id warning.
    """
    sources = [p for p in sorted(EXAMPLES.iterdir())
               if p.is_file() and not p.name.endswith((".meta.json", ".meta.yaml"))]
    for n in range(count):
        source = sources[n % len(sources)]
        target = folder / f"bench-{n:05d}{source.suffix}"
        if source.suffix == ".json":
            data = json.loads(source.read_text(encoding="utf-8"))
            data["metadata"]["call_id"] = target.stem
            target.write_text(json.dumps(data), encoding="utf-8")
        else:
            shutil.copyfile(source, target)


def stderr_path(out: Path) -> Path:
    """Return the file beside ``out`` that receives the grade command's stderr."""
    return out.with_name("stderr.txt")


def run(
    folder: Path, out: Path, model: str, strategy: str, env: dict[str, str], cache: bool
) -> tuple[int, float, int]:
    """Run the grade command; return (exit status, wall seconds, peak RSS in KiB).

    The command's stderr is written to ``stderr_path(out)``.
    """
    command = [str(Path(sys.executable).with_name("winback-grader")), "grade", str(folder),
               "--model", model, "--strategy", strategy, "--out", str(out), "--format", "jsonl",
               "--concurrency", "32"]
    if not cache:
        command.append("--no-cache")
    start = time.perf_counter()
    # stderr goes to a file: a pipe that is read only at the end blocks the child once its
    # buffer (64 KiB) is full of warnings.
    with stderr_path(out).open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=10_000)
    parser.add_argument("--model", default="offline")
    parser.add_argument(
        "--strategy", default="criterion", choices=["criterion", "section", "rubric"]
    )
    parser.add_argument("--no-cache", action="store_true", help="grade without the cache")
    arguments = parser.parse_args()
    cache = not arguments.no_cache

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "calls"
        folder.mkdir()
        write_copies(folder, arguments.transcripts)
        out = Path(temp) / "results.jsonl"
        env = {**os.environ, "WINBACK_GRADER_CACHE_DIR": str(Path(temp) / "cache"),
               "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        if arguments.model == "offline":
            status, wall, peak = run(folder, out, arguments.model, arguments.strategy, env, cache)
        else:
            with LoopbackServer(delay=0.0) as server:
                env |= {"OPENAI_API_BASE": server.base_url, "OPENAI_API_KEY": "sk-bench"}
                status, wall, peak = run(
                    folder, out, arguments.model, arguments.strategy, env, cache
                )
        lines = sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0
        stderr_lines = stderr_path(out).read_text(encoding="utf-8").splitlines()

    print(f"{arguments.transcripts} transcripts, model {arguments.model}, strategy "
          f"{arguments.strategy}, cache {'on' if cache else 'off'}: exit status {status}, "
          f"{lines} lines written, wall {wall:.1f} s, peak RSS {peak / 1024:.0f} MiB")
    print(f"the command wrote {len(stderr_lines)} lines to stderr; the last ones:")
    for line in stderr_lines[-5:]:
        print(f"  {line}")


if __name__ == "__main__":
    main()

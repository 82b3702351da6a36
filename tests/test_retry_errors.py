"""``grade --retry-errors``: lines with error grades are set aside and their calls graded again."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grading_responder import GradingResponder
from openai_server import OpenAIServer, Reply, Request
from test_batch import make_transcript
from test_cli_grade import EXAMPLES, run_grade
from test_resume import CALLS, CONCURRENCY, grade_command, result_ids, write_call_files
from winback_grader import ConfigError, Scorecard, grade, load_rubric
from winback_grader.results_file import CompletedResults, ResultsFile
from winback_grader.scorecard import CriterionGrade

NOW = datetime(2026, 3, 1, 12, 30, 5, tzinfo=timezone.utc)
SIDECAR_NAME = "results.jsonl.retried-20260301T123005Z.jsonl"


def good_card(call_id: str) -> Scorecard:
    return grade(make_transcript(call_id))


def error_card(call_id: str) -> Scorecard:
    card = good_card(call_id)
    criterion = load_rubric("winback").criteria[0]
    failed = CriterionGrade.failed(criterion, "model call failed: 500", engine="llm")
    return card.model_copy(update={"grades": [failed, *card.grades[1:]]})


def write_lines(path: Path, cards: list[Scorecard]) -> list[str]:
    lines = [card.model_dump_json() + "\n" for card in cards]
    path.write_text("".join(lines), encoding="utf-8")
    return lines


def load_default(path: Path) -> CompletedResults:
    results = ResultsFile(path)
    return results.load_completed(rubric_id="winback", rubric_version="2026.12", model=None)


# -- moving the lines out of the results file ------------------------------------------------


def test_error_lines_move_to_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    lines = write_lines(
        path, [good_card("a"), error_card("b"), good_card("c"), error_card("d")]
    )
    completed = load_default(path)

    moved = ResultsFile(path).set_aside_error_lines(completed, now=NOW)

    assert moved is not None
    assert moved.count == 2
    assert moved.path == tmp_path / SIDECAR_NAME
    assert moved.path.read_text(encoding="utf-8") == lines[1] + lines[3]
    assert path.read_text(encoding="utf-8") == lines[0] + lines[2]
    assert completed.total == 2
    assert completed.counts["b"] == 0
    assert completed.counts["d"] == 0
    assert completed.error_lines == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl", SIDECAR_NAME]


def test_set_aside_keeps_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_lines(path, [good_card("a"), error_card("b")])
    path.chmod(0o644)
    completed = load_default(path)

    ResultsFile(path).set_aside_error_lines(completed, now=NOW)

    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_no_error_lines_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    lines = write_lines(path, [good_card("a"), good_card("b")])
    completed = load_default(path)

    moved = ResultsFile(path).set_aside_error_lines(completed, now=NOW)

    assert moved is None
    assert path.read_text(encoding="utf-8") == "".join(lines)
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


def test_sidecar_name_taken_gets_number(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    (tmp_path / SIDECAR_NAME).write_text("older\n", encoding="utf-8")
    write_lines(path, [error_card("a")])
    completed = load_default(path)

    moved = ResultsFile(path).set_aside_error_lines(completed, now=NOW)

    assert moved is not None
    assert moved.path.name == "results.jsonl.retried-20260301T123005Z-2.jsonl"
    assert (tmp_path / SIDECAR_NAME).read_text(encoding="utf-8") == "older\n"


def test_call_with_good_line_is_kept(tmp_path: Path) -> None:
    # A call graded twice, once with an error: its good line still counts as done.
    path = tmp_path / "results.jsonl"
    write_lines(path, [good_card("a"), error_card("a")])
    completed = load_default(path)

    ResultsFile(path).set_aside_error_lines(completed, now=NOW)

    assert completed.take("a")
    assert not completed.take("a")


def test_half_written_line_then_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    lines = write_lines(path, [error_card("a"), good_card("b")])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"transcript_id": "c", "rubric_id": "win')
    completed = load_default(path)

    ResultsFile(path).set_aside_error_lines(completed, now=NOW)

    assert path.read_text(encoding="utf-8") == lines[1]
    assert (tmp_path / SIDECAR_NAME).read_text(encoding="utf-8") == lines[0]


def test_only_chosen_transcripts_move(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    lines = write_lines(path, [error_card("a"), good_card("b"), error_card("c")])
    completed = load_default(path)

    moved = ResultsFile(path).set_aside_error_lines(completed, transcript_ids={"a"}, now=NOW)

    assert moved is not None
    assert moved.count == 1
    assert path.read_text(encoding="utf-8") == lines[1] + lines[2]
    assert completed.counts == {"a": 0, "b": 1, "c": 1}
    # The line of c is now the second line of the file.
    assert completed.error_lines == {1: "c"}


def test_file_changed_since_load_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_lines(path, [error_card("a")])
    completed = load_default(path)
    with ResultsFile(path) as results:
        results.append(good_card("b"))
    before = path.read_bytes()

    with pytest.raises(ConfigError) as caught:
        ResultsFile(path).set_aside_error_lines(completed, now=NOW)

    assert str(caught.value) == (
        f"{path} changed while this run was reading it, so another run may be writing to it; "
        "wait for that run to end, then run this command again"
    )
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


# -- options that --retry-errors cannot work with ---------------------------------------------


@pytest.mark.parametrize(
    ("extra_args", "message"),
    [
        pytest.param(
            [],
            "error: --retry-errors grades again the calls whose lines in a results file "
            "contain error grades; pass --out FILE.jsonl",
            id="no-out",
        ),
        pytest.param(
            ["--out", "{tmp}/results.csv"],
            "error: --retry-errors needs --format jsonl, the resumable results file, but the "
            "format is 'csv'; pass --format jsonl or an --out file ending in .jsonl",
            id="csv-out",
        ),
        pytest.param(
            ["--out", "{tmp}/results.jsonl", "--format", "json"],
            "error: --retry-errors needs --format jsonl, the resumable results file, but the "
            "format is 'json'; pass --format jsonl or an --out file ending in .jsonl",
            id="json-format",
        ),
        pytest.param(
            ["--out", "{tmp}/results.jsonl", "--explain", "call-1001"],
            "error: --retry-errors cannot be combined with --explain, which writes one call's "
            "explanation instead of a results file; drop one of them",
            id="explain",
        ),
    ],
)
def test_retry_errors_usage_errors(
    extra_args: list[str], message: str, tmp_path: Path
) -> None:
    args = [arg.format(tmp=tmp_path) for arg in extra_args]

    result = run_grade(EXAMPLES / "call-1001.txt", "--retry-errors", *args)

    assert result.returncode == 2
    assert result.stderr.strip() == message
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_retry_errors_rejects_no_cache(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        result = run_grade(
            EXAMPLES / "call-1001.txt",
            "--model", "openai/test-model", "--api-base", server.base_url,
            "--out", out, "--retry-errors", "--no-cache",
            extra_env={"OPENAI_API_KEY": "sk-test"},
        )
        requests = len(server.chat_requests())

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --retry-errors cannot be combined with --no-cache: the grade cache is what "
        "keeps the criteria already graded in those lines from being paid for again; drop "
        "--no-cache"
    )
    assert requests == 0
    assert not out.exists()


def test_retry_errors_missing_out_sends_nothing(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        result = run_grade(
            EXAMPLES / "call-1001.txt",
            "--model", "openai/test-model", "--api-base", server.base_url,
            "--out", out, "--retry-errors",
            extra_env={"OPENAI_API_KEY": "sk-test"},
        )
        requests = len(server.chat_requests())

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: results file {str(out)!r} not found; --retry-errors needs the results file "
        "of an earlier run (check the path)"
    )
    assert requests == 0
    assert not out.exists()


# -- offline reruns: which lines move, and where ----------------------------------------------


def test_retry_errors_keeps_other_calls(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    lines = write_lines(
        out, [error_card("call-9000"), error_card("call-1001"), good_card("call-1002")]
    )

    result = run_grade(EXAMPLES / "call-1001.txt", "--out", out, "--retry-errors")

    assert result.returncode == 0, result.stderr
    assert (
        f"{out}: left 1 line(s) with error grades in place because their calls are not "
        "among this run's input transcripts"
    ) in result.stderr
    after = out.read_text(encoding="utf-8").splitlines(keepends=True)
    assert after[:2] == [lines[0], lines[2]]
    assert [json.loads(line)["transcript_id"] for line in after] == [
        "call-9000", "call-1002", "call-1001"
    ]
    assert len(sidecars(tmp_path)) == 1
    assert sidecars(tmp_path)[0].read_text(encoding="utf-8") == lines[1]


def test_only_other_calls_in_error(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    lines = write_lines(out, [error_card("call-9000"), good_card("call-1001")])

    result = run_grade(EXAMPLES / "call-1001.txt", "--out", out, "--retry-errors")

    assert result.returncode == 0, result.stderr
    assert (
        f"{out}: no line of this run's calls has error grades; nothing to grade again"
    ) in result.stderr
    assert f"{out}: left 1 line(s) with error grades in place" in result.stderr
    assert out.read_text(encoding="utf-8") == "".join(lines)
    assert sidecars(tmp_path) == []


def test_plain_resume_reports_error_lines(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    lines = write_lines(out, [error_card("call-1001"), error_card("call-1002")])

    result = run_grade(EXAMPLES / "call-1001.txt", EXAMPLES / "call-1002.json", "--out", out)

    # The input calls' lines still have criteria in error, so the command exits 1.
    assert result.returncode == 1, result.stderr
    assert (
        f"{out}: 2 kept line(s) contain criteria in error; pass --retry-errors to grade them "
        "again"
    ) in result.stderr
    assert out.read_text(encoding="utf-8") == "".join(lines)


def test_retry_errors_through_symlink(tmp_path: Path) -> None:
    folder = tmp_path / "real"
    folder.mkdir()
    target = folder / "results.jsonl"
    lines = write_lines(target, [error_card("call-1001"), good_card("call-1002")])
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)

    result = run_grade(EXAMPLES / "call-1001.txt", "--out", link, "--retry-errors")

    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert link.resolve() == target
    after = target.read_text(encoding="utf-8").splitlines(keepends=True)
    assert after[0] == lines[1]
    assert [json.loads(line)["transcript_id"] for line in after] == ["call-1002", "call-1001"]
    assert error_lines(target) == []
    assert len(sidecars(folder)) == 1
    assert sidecars(folder)[0].read_text(encoding="utf-8") == lines[0]
    assert list(tmp_path.glob("link.jsonl.retried-*")) == []


# -- a real rerun against the loopback server -------------------------------------------------

_CALL_NUMBER = re.compile(r"account number (\d+)")
_CRITERION_ID = re.compile(r"\(id: ([a-z0-9_-]+)\)")


class FailingCriteriaResponder(GradingResponder):
    """Respond with 500 to chosen (call number, criterion id) pairs and count requests per pair.

    The 500 carries ``Retry-After: 0``, so the client's transient retries run out at once.
    """

    def __init__(self, failing: set[tuple[str, str]]) -> None:
        super().__init__()
        self.failing = failing
        self.delay = 0.0
        self.requests: Counter[tuple[str, str]] = Counter()
        self._requests_lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        text = json.dumps(request.body["messages"])
        call = _CALL_NUMBER.search(text)
        criterion = _CRITERION_ID.search(text)
        key = (call.group(1) if call else "?", criterion.group(1) if criterion else "?")
        with self._requests_lock:
            self.requests[key] += 1
        if key in self.failing:
            body = {"error": {"message": "internal error"}}
            return Reply(status=500, body=body, headers={"Retry-After": "0"})
        time.sleep(self.delay)
        return super().__call__(request)


def server_env(server: OpenAIServer, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OPENAI_API_BASE": server.base_url,
        "OPENAI_API_KEY": "sk-test",
        "WINBACK_GRADER_CACHE_DIR": str(tmp_path / "cache"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


def error_lines(out: Path) -> list[str]:
    lines = out.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if Scorecard.model_validate_json(line).errors]


def complete_lines(out: Path) -> list[str]:
    # A line still being written has no newline yet, so the last item is left out.
    return out.read_text(encoding="utf-8").split("\n")[:-1]


def sidecars(folder: Path) -> list[Path]:
    return sorted(folder.glob("results.jsonl.retried-*.jsonl"))


@pytest.mark.slow
def test_rerun_pays_only_for_errors(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    write_call_files(folder)
    out = tmp_path / "results.jsonl"
    failing = {("0", "greeting"), ("0", "tailored_offer"), ("2", "needs"), ("5", "greeting")}
    responder = FailingCriteriaResponder(set(failing))
    criteria = len(load_rubric("winback").criteria)
    transient_attempts = 5  # GraderConfig.transient_retries defaults to 4 retries

    with OpenAIServer(responder) as server:
        env = server_env(server, tmp_path)
        first = subprocess.run(
            grade_command(folder, out), env=env, capture_output=True, text=True, timeout=120
        )
        first_requests = len(server.chat_requests())
        old_error_lines = error_lines(out)

        responder.failing = set()
        second = subprocess.run(
            [*grade_command(folder, out), "--retry-errors"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        second_requests = len(server.chat_requests()) - first_requests

    # The first run exhausted the transient retries of each failing criterion.
    assert first.returncode == 1, first.stderr
    assert first_requests == CALLS * criteria - len(failing) + len(failing) * transient_attempts
    for key in failing:
        assert responder.requests[key] == transient_attempts + 1
    assert len(old_error_lines) == 3

    # The rerun sent only the criteria in error, because the others came from the cache.
    assert second.returncode == 0, second.stderr
    assert second_requests == len(failing)
    assert (
        f"{out}: took out 3 line(s) with error grades to grade those calls again; "
        f"the old lines are kept in {sidecars(tmp_path)[0]}"
    ) in second.stderr
    assert f"resuming; {CALLS - 3} call(s) already in the file are kept" in second.stderr

    # One line per call, none with an error, and the old lines are kept in the sidecar.
    assert sorted(result_ids(out)) == [f"call-{n:02d}" for n in range(CALLS)]
    assert error_lines(out) == []
    assert len(sidecars(tmp_path)) == 1
    assert sidecars(tmp_path)[0].read_text(encoding="utf-8").splitlines() == old_error_lines


@pytest.mark.slow
def test_killed_retry_run_finishes_on_rerun(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    write_call_files(folder)
    out = tmp_path / "results.jsonl"
    # Six calls with one failing criterion each: two rounds of three concurrent calls to retry.
    failing = {(str(n), "greeting") for n in range(0, CALLS, 2)}
    responder = FailingCriteriaResponder(set(failing))

    with OpenAIServer(responder) as server:
        env = server_env(server, tmp_path)
        first = subprocess.run(
            grade_command(folder, out), env=env, capture_output=True, text=True, timeout=120
        )
        old_error_lines = error_lines(out)

        # Second run: slow replies, killed with SIGKILL after the rewrite, once some of the
        # retried calls are written and before the last ones are.
        responder.failing = set()
        responder.delay = 0.5
        requests_before = len(server.chat_requests())
        retry_command = [*grade_command(folder, out), "--retry-errors"]
        second = subprocess.Popen(retry_command, env=env, stderr=subprocess.PIPE)
        kept_lines = CALLS - len(failing)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines = complete_lines(out)
            rewritten = not set(lines) & set(old_error_lines)
            if rewritten and len(lines) > kept_lines:
                break
            time.sleep(0.02)
        second.send_signal(signal.SIGKILL)
        second.wait()
        time.sleep(0.2)  # let requests already on the wire reach the server
        lines_after_kill = out.read_text(encoding="utf-8").count("\n")
        second_requests = len(server.chat_requests()) - requests_before

        responder.delay = 0.0
        third = subprocess.run(
            retry_command, env=env, capture_output=True, text=True, timeout=120
        )
        third_requests = len(server.chat_requests()) - requests_before - second_requests

    assert first.returncode == 1, first.stderr
    assert len(old_error_lines) == len(failing)
    assert second.returncode == -signal.SIGKILL
    assert kept_lines < lines_after_kill < CALLS

    assert third.returncode == 0, third.stderr
    assert f"{out}: no line has error grades; nothing to grade again" in third.stderr
    assert sorted(result_ids(out)) == [f"call-{n:02d}" for n in range(CALLS)]
    assert error_lines(out) == []
    assert len(sidecars(tmp_path)) == 1
    assert sidecars(tmp_path)[0].read_text(encoding="utf-8").splitlines() == old_error_lines

    # Each retried call costs one request, for its one criterion in error. The third run sends
    # at most one for each call missing after the kill: none when the reply reached the cache
    # before the kill but the line was never written.
    assert third_requests <= CALLS - lines_after_kill
    assert len(failing) <= second_requests + third_requests <= len(failing) + CONCURRENCY

"""``winback-grader grade`` run as a subprocess on the example calls and on bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from grading_responder import GradingResponder
from openai_server import OpenAIServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CALL_IDS = ["call-1001", "call-1002", "call-1003", "call-1004", "call-1005", "call-1006"]
SHIPPED_PROMPTS = EXAMPLES.parent / "prompts"
EXTRA_INSTRUCTION = "Treat a callback the agent promised but never booked as a broken promise."


def run_grade(
    *args: str | Path, cwd: Path | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from winback_grader.cli import main; main()", "grade"]
    env = {**os.environ, "COLUMNS": "200", **(extra_env or {})}
    return subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_table_and_representative_summary() -> None:
    result = run_grade(EXAMPLES)

    assert result.returncode == 0, result.stderr
    for call_id in CALL_IDS:
        assert call_id in result.stdout
    assert "Per representative" in result.stdout
    assert "training focus" in result.stdout
    assert "ana.rivera" in result.stdout
    assert "AUTO-FAIL" in result.stdout
    assert "Criterion means per representative" in result.stdout
    assert "error" not in result.stderr


def test_json_format_lists_scorecards() -> None:
    result = run_grade(EXAMPLES, "--format", "json")

    assert result.returncode == 0, result.stderr
    cards = json.loads(result.stdout)
    assert [card["transcript_id"] for card in cards] == CALL_IDS
    by_id = {card["transcript_id"]: card for card in cards}
    assert by_id["call-1004"]["auto_failed"] is True
    assert by_id["call-1004"]["total"] == 0.0
    assert by_id["call-1005"]["total"] is None
    assert by_id["call-1001"]["metadata"]["agent_id"] == "ana.rivera"


def test_jsonl_to_out_file(tmp_path: Path) -> None:
    out = tmp_path / "cards.jsonl"

    result = run_grade(
        EXAMPLES / "call-1001.txt", EXAMPLES / "call-1003.vtt", "--format", "jsonl", "--out", out
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["transcript_id"] for line in lines] == ["call-1001", "call-1003"]


def test_csv_has_row_per_call() -> None:
    result = run_grade(EXAMPLES, "--format", "csv")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["call_id"] for row in rows] == CALL_IDS
    by_id = {row["call_id"]: row for row in rows}
    assert by_id["call-1004"]["auto_failed"] == "True"
    assert by_id["call-1004"]["honest_claims"] == "0.0"
    assert by_id["call-1005"]["greeting"] == "na"
    assert by_id["call-1005"]["total"] == ""
    assert by_id["call-1003"]["agent_id"] == "chidi.okafor"
    assert "section.discovery" in rows[0]


def test_glob_pattern_expands(tmp_path: Path) -> None:
    result = run_grade(str(EXAMPLES / "call-100[12].*"), "--format", "jsonl")

    assert result.returncode == 0, result.stderr
    ids = [json.loads(line)["transcript_id"] for line in result.stdout.splitlines()]
    assert ids == ["call-1001", "call-1002"]


def test_explain_prints_reasoning_and_quotes() -> None:
    result = run_grade(EXAMPLES, "--explain", "call-1004")

    assert result.returncode == 0, result.stderr
    assert "Call call-1004" in result.stdout
    assert "AUTO-FAIL" in result.stdout
    assert "Honest claims (honest_claims): no" in result.stdout
    assert "makes a misleading promise" in result.stdout
    assert '[00:12 turn 2 agent] "Before you go, just hear me out.' in result.stdout


def test_explain_unknown_call_is_usage_error() -> None:
    result = run_grade(EXAMPLES / "call-1001.txt", "--explain", "call-9999")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --explain 'call-9999': no input transcript has that id. Input ids: call-1001"
    )


def test_explain_grades_only_that_call() -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_grade(
            EXAMPLES, *server_args(server), "--explain", "call-1004",
            extra_env={"OPENAI_API_KEY": "sk-test"},
        )
        requests = server.chat_requests()

    assert result.returncode == 0, result.stderr
    assert "Call call-1004" in result.stdout
    assert requests
    # Only call-1004 contains this sentence, so every request graded that call.
    for request in requests:
        assert "just hear me out" in json.dumps(request.body["messages"])


def test_explain_mistyped_id_sends_nothing() -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_grade(
            EXAMPLES, *server_args(server), "--explain", "call-1OO4",
            extra_env={"OPENAI_API_KEY": "sk-test"},
        )
        requests = server.chat_requests()

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --explain 'call-1OO4': no input transcript has that id; did you mean "
        "'call-1004'? Input ids: call-1004, call-1006, call-1005, call-1003, call-1002 and 1 more"
    )
    assert result.stdout == ""
    assert requests == []


@pytest.mark.parametrize(
    ("out_name", "format_args"),
    [("results.jsonl", []), ("notes.txt", ["--format", "jsonl"])],
    ids=["jsonl-out", "jsonl-format"],
)
def test_explain_rejects_jsonl_out(out_name: str, format_args: list[str], tmp_path: Path) -> None:
    out = tmp_path / out_name
    out.write_bytes(b'{"transcript_id": "call-1001"}\n')

    result = run_grade(
        EXAMPLES / "call-1001.txt", "--explain", "call-1001", "--out", out, *format_args
    )

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: --explain writes one call's explanation as text, which would overwrite the "
        f"JSON Lines file {str(out)!r}; pass a .txt or .md --out file, or drop --out to print it"
    )
    assert out.read_bytes() == b'{"transcript_id": "call-1001"}\n'


def test_bad_file_reported_others_graded(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "call-1001.txt", tmp_path / "good.txt")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")

    result = run_grade(tmp_path, "--format", "jsonl")

    assert result.returncode == 2
    assert "broken.json" in result.stderr
    ids = [json.loads(line)["transcript_id"] for line in result.stdout.splitlines()]
    assert ids == ["good"]


def test_missing_path_and_bad_format_are_usage_errors(tmp_path: Path) -> None:
    missing = run_grade(tmp_path / "nowhere.txt")
    bad_format = run_grade(EXAMPLES, "--format", "xml")

    assert missing.returncode == 2
    assert "nowhere.txt: no such file, folder or glob match" in missing.stderr
    assert bad_format.returncode == 2
    assert "invalid --format 'xml'; choose one of: table, json, jsonl, csv" in bad_format.stderr


def test_criterion_error_exits_one_with_results(tmp_path: Path) -> None:
    rubric = {
        "id": "no-indicators",
        "version": "1",
        "sections": [
            {
                "id": "main",
                "name": "Main",
                "criteria": [
                    {"id": "offer", "name": "Offer", "description": "Offers.", "scale": "binary"}
                ],
            }
        ],
    }
    rubric_path = tmp_path / "rubric.yaml"
    rubric_path.write_text(yaml.safe_dump(rubric), encoding="utf-8")

    result = run_grade(EXAMPLES / "call-1001.txt", "--rubric", rubric_path, "--format", "json")

    assert result.returncode == 1
    cards = json.loads(result.stdout)
    assert cards[0]["grades"][0]["status"] == "error"
    assert "call-1001: offer: criterion 'offer' has no phrase indicators" in result.stderr


@pytest.mark.parametrize("rubric", ["no-such-rubric", "missing.yaml"])
def test_bad_rubric_is_usage_error(rubric: str, tmp_path: Path) -> None:
    result = run_grade(EXAMPLES / "call-1001.txt", "--rubric", rubric, cwd=tmp_path)

    assert result.returncode == 2
    assert rubric in result.stderr
    assert result.stdout == ""


def test_progress_bar_only_for_several_calls() -> None:
    # FORCE_COLOR makes rich treat stderr as a terminal, where the progress bar is drawn.
    env_patch = {"FORCE_COLOR": "1"}
    several = run_grade(
        EXAMPLES / "call-1001.txt", EXAMPLES / "call-1002.json", extra_env=env_patch
    )
    single = run_grade(EXAMPLES / "call-1001.txt", extra_env=env_patch)

    assert several.returncode == 0
    assert "grading" in several.stderr
    assert "2/2" in several.stderr
    assert single.returncode == 0
    assert single.stderr == ""


def test_api_base_option_reaches_server(tmp_path: Path) -> None:
    with OpenAIServer(GradingResponder()) as server:
        result = run_grade(
            EXAMPLES / "call-1001.txt",
            "--model",
            "openai/test-model",
            "--api-base",
            server.base_url,
            "--no-cache",
            "--format",
            "json",
            extra_env={"OPENAI_API_KEY": "sk-test"},
        )
        requests = len(server.chat_requests())

    assert result.returncode == 0, result.stderr
    cards = json.loads(result.stdout)
    assert cards[0]["engine"] == "llm"
    assert cards[0]["model"] == "openai/test-model"
    assert requests == len(cards[0]["grades"])


def test_invalid_timeout_is_usage_error() -> None:
    result = run_grade(EXAMPLES / "call-1001.txt", "--timeout", "0")

    assert result.returncode == 2
    assert "invalid option timeout=0.0" in result.stderr


def server_args(server: OpenAIServer) -> list[str]:
    """Options that grade with the loopback server's test model and no cache."""
    return ["--model", "openai/test-model", "--api-base", server.base_url, "--no-cache"]


def prompts_with_extra_instruction(folder: Path, repeat: int = 1) -> Path:
    """Copy the shipped prompts to ``folder`` and append EXTRA_INSTRUCTION to system.j2."""
    shutil.copytree(SHIPPED_PROMPTS, folder)
    system = folder / "system.j2"
    extra = " ".join([EXTRA_INSTRUCTION] * repeat)
    system.write_text(system.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "output_args", [["--format", "json"], ["--explain", "call-1001"]], ids=["json", "explain"]
)
def test_prompt_dir_reaches_server(output_args: list[str], tmp_path: Path) -> None:
    prompts = prompts_with_extra_instruction(tmp_path / "prompts")

    with OpenAIServer(GradingResponder()) as server:
        result = run_grade(
            EXAMPLES / "call-1001.txt",
            *server_args(server),
            "--prompt-dir",
            prompts,
            *output_args,
            extra_env={"OPENAI_API_KEY": "sk-test"},
        )
        requests = server.chat_requests()

    assert result.returncode == 0, result.stderr
    assert len(requests) >= 15
    for request in requests:
        system_message = request.body["messages"][0]
        assert system_message["role"] == "system"
        assert system_message["content"].endswith("\n" + EXTRA_INSTRUCTION)


def dry_run_prompt_tokens(result: subprocess.CompletedProcess[str]) -> int:
    match = re.search(r"about (\d+) prompt tokens", result.stdout)
    assert match is not None, result.stdout
    return int(match[1])


def test_prompt_dir_counted_by_dry_run(tmp_path: Path) -> None:
    prompts = prompts_with_extra_instruction(tmp_path / "prompts", repeat=10)
    dry_run = [EXAMPLES / "call-1001.txt", "--model", "openai/test-model", "--dry-run"]

    shipped = run_grade(*dry_run)
    custom = run_grade(*dry_run, "--prompt-dir", prompts)

    assert shipped.returncode == 0, shipped.stderr
    assert custom.returncode == 0, custom.stderr
    # 15 model calls, each with ten more copies of the sentence (about 14 tokens each) in its
    # system message. 10 tokens per copy is a floor that leaves room for the tokenizer.
    added_tokens = dry_run_prompt_tokens(custom) - dry_run_prompt_tokens(shipped)
    assert added_tokens >= 15 * 10 * 10


def grade_and_record(*args: str) -> tuple[subprocess.CompletedProcess[str], list[Any]]:
    """Grade call-1001 against a fresh loopback server and return the result and request bodies."""
    with OpenAIServer(GradingResponder()) as server:
        result = run_grade(
            EXAMPLES / "call-1001.txt",
            *server_args(server),
            *args,
            extra_env={"OPENAI_API_KEY": "sk-test"},
        )
        bodies = [request.body for request in server.chat_requests()]
    return result, bodies


def test_mode_json_schema_sends_response_format() -> None:
    auto, auto_bodies = grade_and_record()
    json_schema, json_schema_bodies = grade_and_record("--mode", "json_schema")

    assert auto.returncode == 0, auto.stderr
    assert json_schema.returncode == 0, json_schema.stderr
    assert auto_bodies
    assert all("tools" in body for body in auto_bodies)
    assert all("response_format" not in body for body in auto_bodies)
    assert json_schema_bodies
    assert all(body["response_format"]["type"] == "json_schema" for body in json_schema_bodies)
    assert all("tools" not in body for body in json_schema_bodies)


def _copy_of_call_1001(folder: Path) -> Path:
    """Copy call-1001 and its metadata into ``folder``; the copy has the same transcript id."""
    folder.mkdir()
    shutil.copy(EXAMPLES / "call-1001.meta.json", folder)
    return Path(shutil.copy(EXAMPLES / "call-1001.txt", folder))


@pytest.mark.parametrize("to_jsonl", [False, True], ids=["json", "jsonl-out"])
def test_duplicate_transcript_id_warns(tmp_path: Path, to_jsonl: bool) -> None:
    copy = _copy_of_call_1001(tmp_path / "copy")
    out = tmp_path / "cards.jsonl"
    args = ["--out", out, "--format", "jsonl"] if to_jsonl else ["--format", "json"]

    result = run_grade(EXAMPLES / "call-1001.txt", copy, *args)

    assert result.returncode == 0, result.stderr
    assert (
        f"warning: {copy}: transcript id 'call-1001' is also the id of "
        f"{EXAMPLES / 'call-1001.txt'}; both are graded"
    ) in result.stderr
    text = out.read_text(encoding="utf-8") if to_jsonl else result.stdout
    assert text.count('"transcript_id":"call-1001"') + text.count(
        '"transcript_id": "call-1001"'
    ) == 2


def test_explain_duplicate_id_grades_first(tmp_path: Path) -> None:
    copy = _copy_of_call_1001(tmp_path / "copy")

    result = run_grade(EXAMPLES / "call-1001.txt", copy, "--explain", "call-1001")

    assert result.returncode == 0, result.stderr
    assert "is also the id of" in result.stderr
    assert result.stdout.count("Call call-1001") == 1

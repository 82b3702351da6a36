"""Bad input and interruptions of ``winback-grader grade``, run as a subprocess.

Each case must end in a message that names the value and the fix, with exit status 2 (130 for
an interruption), and must not lose calls that were already graded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from grading_responder import GradingResponder
from openai_server import OpenAIServer, Reply, Request

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CALL = EXAMPLES / "call-1001.txt"
CLI = [sys.executable, "-c", "from winback_grader.cli import main; main()", "grade"]


def cli_env(**extra: str) -> dict[str, str]:
    return cli_env_from(dict(os.environ), **extra)


def cli_env_from(base: dict[str, str], **extra: str) -> dict[str, str]:
    # A wide terminal keeps rich from wrapping the messages the tests search for.
    return {**base, "COLUMNS": "400", **extra}


def run_grade(*args: str | Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(**extra_env),
        check=False,
    )


def test_folder_without_transcripts(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("not a transcript\n", encoding="utf-8")

    result = run_grade(tmp_path)

    assert result.returncode == 2
    assert f"{tmp_path}: the folder contains no transcript files (.txt, .json" in result.stderr
    assert "no such file" not in result.stderr
    assert "Traceback" not in result.stderr


def test_one_speaker_row_says_why() -> None:
    result = run_grade(EXAMPLES / "call-1005.txt")

    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "call-1005" in line)
    assert "Not gradable: the transcript has 1 turn(s); grading needs at least 2." in row


def test_results_file_in_graded_folder(tmp_path: Path) -> None:
    shutil.copy(CALL, tmp_path / CALL.name)
    shutil.copy(EXAMPLES / "call-1001.meta.json", tmp_path / "call-1001.meta.json")
    results = tmp_path / "results.json"

    first = run_grade(tmp_path, "--out", results)
    again = run_grade(tmp_path, "--out", results)
    without_out = run_grade(tmp_path, "--format", "csv")

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert [card["transcript_id"] for card in json.loads(results.read_text())] == ["call-1001"]
    assert without_out.returncode == 2
    expected = f"{results}: this is a winback-grader results file (scorecards), not a transcript"
    assert expected in without_out.stderr
    assert "write --out files outside the folders you grade" in without_out.stderr
    assert "call-1001,ana.rivera" in without_out.stdout


def test_jsonl_run_names_bad_file_once(tmp_path: Path) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_text("", encoding="utf-8")

    result = run_grade(bad, CALL, "--out", tmp_path / "results.jsonl")

    assert result.returncode == 2
    assert f"error: {bad}: the transcript is empty" in result.stderr
    assert f"{bad}: {bad}" not in result.stderr
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 1


def test_out_folder_missing(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "results.json"

    result = run_grade(CALL, "--out", out)

    assert result.returncode == 2
    expected = f"--out '{out}': the folder '{out.parent}' does not exist; create it first"
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_out_is_a_folder(tmp_path: Path) -> None:
    result = run_grade(CALL, "--out", tmp_path)

    assert result.returncode == 2
    example = tmp_path / "results.jsonl"
    expected = f"--out '{tmp_path}' is a folder; pass a file path such as '{example}'"
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_unwritable_out_prints_to_stdout() -> None:
    # /proc accepts no new files, even for root, so the write fails after grading.
    out = Path("/proc/winback-grader-results.csv")

    result = run_grade(CALL, "--out", out)

    assert result.returncode == 2
    assert f"error: cannot write --out '{out}'" in result.stderr
    assert "the output follows on stdout" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("call_id,agent_id,team,outcome,rubric_id")
    assert "call-1001,ana.rivera" in result.stdout


def test_out_extension_sets_format(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"

    result = run_grade(CALL, "--out", out)

    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["transcript_id"] == "call-1001"


def test_explicit_format_beats_out_extension(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"

    result = run_grade(CALL, "--out", out, "--format", "csv")

    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("call_id,agent_id")


def test_unknown_model_string_sends_nothing(openai_server: OpenAIServer) -> None:
    result = run_grade(
        CALL, "--model", "gpt-nonsense", "--api-base", openai_server.base_url, OPENAI_API_KEY="k"
    )

    assert result.returncode == 2
    expected = "error: invalid model 'gpt-nonsense': litellm cannot determine its provider"
    assert expected in result.stderr
    assert "such as 'openai/gpt-4o-mini'" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Provider List" not in result.stdout
    assert openai_server.chat_requests() == []


def test_model_variable_named_in_error() -> None:
    result = run_grade(CALL, WINBACK_GRADER_MODEL="gpt5")

    assert result.returncode == 2
    expected = "error: invalid $WINBACK_GRADER_MODEL 'gpt5': litellm cannot determine its provider"
    assert expected in result.stderr


def test_model_string_without_name() -> None:
    result = run_grade(CALL, "--model", "openai/")

    assert result.returncode == 2
    assert "error: invalid model 'openai/': the model name after openai/ is missing" in (
        result.stderr
    )


def test_missing_openai_key_sends_nothing(openai_server: OpenAIServer) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENAI_")}
    args = [*CLI, str(CALL), "--model", "openai/test-model", "--api-base", openai_server.base_url]

    result = subprocess.run(
        args, capture_output=True, text=True, timeout=120, env=cli_env_from(env), check=False
    )

    assert result.returncode == 2
    assert "error: missing API key for model 'openai/test-model'" in result.stderr
    assert "such as OPENAI_API_KEY=none" in result.stderr
    assert openai_server.chat_requests() == []


def test_dry_run_needs_no_key() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENAI_")}
    args = [*CLI, str(CALL), "--model", "openai/test-model", "--dry-run"]

    result = subprocess.run(
        args, capture_output=True, text=True, timeout=120, env=cli_env_from(env), check=False
    )

    assert result.returncode == 0, result.stderr
    assert "dry run: 1 transcript(s), 15 model call(s) to openai/test-model" in result.stdout


def test_offline_dry_run_skips_litellm() -> None:
    # litellm fetches its price map over the network at import unless
    # LITELLM_LOCAL_MODEL_COST_MAP is set, so an offline dry run must not import it at all.
    script = (
        "import sys\n"
        "from winback_grader.cli import main\n"
        f"sys.argv = ['winback-grader', 'grade', {str(CALL)!r}, '--dry-run']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('litellm imported:', 'litellm' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(),
        check=False,
    )

    assert (
        "dry run: 1 transcript(s) for the offline phrase engine, which sends no model calls"
        in result.stdout
    )
    assert "litellm imported: False" in result.stdout
    assert "model cost map" not in result.stderr


SHIPPED_PROMPTS = EXAMPLES.parent / "prompts"
TEMPLATES_FIX = "pass a folder that contains system.j2, transcript.j2 and criterion.j2"


def absent_folder(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "absent"
    return folder, f"error: prompt_dir '{folder}' does not exist; {TEMPLATES_FIX}"


def file_not_folder(tmp_path: Path) -> tuple[Path, str]:
    file = tmp_path / "system.j2"
    shutil.copy(SHIPPED_PROMPTS / "system.j2", file)
    return file, f"error: prompt_dir '{file}' is not a folder; {TEMPLATES_FIX}"


def shipped_prompts_with(tmp_path: Path, template: str, text: str | None) -> Path:
    """Copy the shipped prompts and replace ``template`` by ``text``, or delete it if None."""
    folder = tmp_path / "prompts"
    shutil.copytree(SHIPPED_PROMPTS, folder)
    if text is None:
        (folder / template).unlink()
    else:
        (folder / template).write_text(text, encoding="utf-8")
    return folder


def folder_without_template(tmp_path: Path) -> tuple[Path, str]:
    folder = shipped_prompts_with(tmp_path, "transcript.j2", None)
    return folder, f"error: prompt template 'transcript.j2' not found in {folder}; {TEMPLATES_FIX}"


def template_syntax_error(tmp_path: Path) -> tuple[Path, str]:
    folder = shipped_prompts_with(tmp_path, "criterion.j2", "{% for criterion in criteria %}")
    return folder, f"error: prompt template 'criterion.j2' in {folder} has a syntax error on line 1"


def template_undefined_name(tmp_path: Path) -> tuple[Path, str]:
    folder = shipped_prompts_with(tmp_path, "criterion.j2", "{{ no_such_name }}")
    return folder, (
        f"error: prompt template 'criterion.j2' in {folder} uses an undefined name: "
        "'no_such_name' is undefined"
    )


def template_render_error(tmp_path: Path) -> tuple[Path, str]:
    folder = shipped_prompts_with(tmp_path, "transcript.j2", "{{ 1 / 0 }}")
    return folder, (
        f"error: prompt template 'transcript.j2' in {folder} failed while rendering: "
        "ZeroDivisionError: division by zero; fix the template"
    )


def grade_with_prompt_dir(
    server: OpenAIServer, prompt_dir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    model = ["--model", "openai/test-model", "--api-base", server.base_url, "--no-cache"]
    return run_grade(CALL, *model, "--prompt-dir", prompt_dir, *args, OPENAI_API_KEY="k")


@pytest.mark.parametrize(
    "make_prompt_dir",
    [
        absent_folder,
        file_not_folder,
        folder_without_template,
        template_syntax_error,
        template_undefined_name,
        template_render_error,
    ],
    ids=["absent", "file", "missing-template", "syntax-error", "undefined-name", "render-error"],
)
def test_bad_prompt_dir_sends_nothing(
    make_prompt_dir: Callable[[Path], tuple[Path, str]],
    tmp_path: Path,
    openai_server: OpenAIServer,
) -> None:
    prompt_dir, expected = make_prompt_dir(tmp_path)

    result = grade_with_prompt_dir(openai_server, prompt_dir, "--format", "json")

    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    assert openai_server.chat_requests() == []


@pytest.mark.parametrize(
    "args",
    [["--dry-run"], ["--explain", "call-1001"], ["--model", "offline"]],
    ids=["dry-run", "explain", "offline"],
)
def test_missing_template_stops_every_path(
    args: list[str], tmp_path: Path, openai_server: OpenAIServer
) -> None:
    prompt_dir, expected = folder_without_template(tmp_path)

    result = grade_with_prompt_dir(openai_server, prompt_dir, *args)

    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert result.stdout == ""
    assert openai_server.chat_requests() == []


def test_unknown_mode_is_usage_error() -> None:
    result = run_grade(CALL, "--mode", "xml")

    assert result.returncode == 2
    assert "Invalid value for '--mode'" in result.stderr
    assert "'xml' is not one of 'auto', 'tools', 'json_schema', 'json'" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("option", "value", "bound"),
    [("--max-cost", "-1", "greater than or equal to 0"),
     ("--concurrency", "0", "greater than or equal to 1")],
)
def test_out_of_range_option_named(option: str, value: str, bound: str) -> None:
    result = run_grade(CALL, option, value)

    assert result.returncode == 2
    assert f"Invalid value for '{option}': Input should be {bound}" in result.stderr
    assert result.stdout == ""


def test_table_never_replaces_results_file(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    first = run_grade(CALL, "--out", out)
    assert first.returncode == 0, first.stderr
    before = out.read_bytes()

    result = run_grade(CALL, "--format", "table", "--out", out)

    assert result.returncode == 2
    assert (
        f"error: --out {str(out)!r} contains the scorecards of an earlier run, which --format "
        "table would replace; pass --format jsonl to resume that run, or another --out file"
    ) in " ".join(result.stderr.split())
    assert out.read_bytes() == before


class SlowResponder(GradingResponder):
    """Grades every request, one second late, so a test can interrupt a run between calls."""

    def __call__(self, request: Request) -> Reply:
        reply = super().__call__(request)
        reply.delay = 1.0
        return reply


def copy_calls(folder: Path) -> None:
    for name in ("call-1001", "call-1003", "call-1006"):
        for source in EXAMPLES.glob(f"{name}.*"):
            shutil.copy(source, folder / source.name)


def wait_for_lines(path: Path, count: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_bytes().splitlines()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {count} line(s) in time")


def test_sigint_keeps_graded_calls(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    copy_calls(calls)
    out = tmp_path / "results.jsonl"
    # One model call per transcript, one at a time, so the interruption lands between calls.
    args = [*CLI, str(calls), "--model", "openai/test-model", "--strategy", "rubric"]
    args += ["--concurrency", "1", "--no-cache", "--out", str(out)]

    with OpenAIServer(SlowResponder()) as server:
        env = cli_env(OPENAI_API_KEY="k", OPENAI_API_BASE=server.base_url)
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            # A shell starts background jobs with SIGINT ignored; restore the default handler.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        wait_for_lines(out, 1, time.monotonic() + 60)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)

        assert process.returncode == 130
        assert f"interrupted: the calls graded so far are kept in '{out}'" in stderr
        assert "run the same command again to grade the rest" in stderr
        assert "Traceback" not in stderr
        kept_lines = len(out.read_text(encoding="utf-8").splitlines())
        assert 1 <= kept_lines < 3

        rerun = subprocess.run(
            args, capture_output=True, text=True, timeout=120, env=env, check=False
        )

    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming; {kept_lines} call(s) already in the file are kept" in rerun.stderr
    ids = [json.loads(line)["transcript_id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["call-1001", "call-1003", "call-1006"]


def test_render_error_stops_dry_run(tmp_path: Path, openai_server: OpenAIServer) -> None:
    prompt_dir, expected = template_render_error(tmp_path)

    result = grade_with_prompt_dir(openai_server, prompt_dir, "--dry-run")

    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert "Traceback" not in result.stderr
    assert openai_server.chat_requests() == []

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
from pathlib import Path

import pytest

from grading_responder import GradingResponder
from openai_server import OpenAIServer, Reply, Request

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CALL = EXAMPLES / "call-1001.txt"
CLI = [sys.executable, "-c", "from winback_grader.cli import main; main()", "grade"]


def cli_env(**extra: str) -> dict[str, str]:
    # A wide terminal keeps rich from wrapping the messages the tests search for.
    return {**os.environ, "COLUMNS": "400", **extra}


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


def test_model_string_without_name() -> None:
    result = run_grade(CALL, "--model", "openai/")

    assert result.returncode == 2
    assert "error: invalid model 'openai/': the model name after openai/ is missing" in (
        result.stderr
    )


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

    assert "dry run: 1 transcript(s), 0 model call(s) to offline" in result.stdout
    assert "litellm imported: False" in result.stdout
    assert "model cost map" not in result.stderr

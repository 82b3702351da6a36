"""The on-disk grade cache: its folder, persistence across processes, and what it stores."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grading_responder import GradingResponder
from openai_server import OpenAIServer
from test_batch import make_transcript
from winback_grader import ConfigError, GraderConfig, Rubric, Turn, grade_many, load_rubric
from winback_grader.cache import GradeCache, default_cache_dir, open_cache


def test_default_dir_uses_environment_variable(tmp_path: Path) -> None:
    environ = {"WINBACK_GRADER_CACHE_DIR": str(tmp_path / "grades")}
    assert default_cache_dir(environ) == tmp_path / "grades"


def test_default_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir({}) == tmp_path / "xdg" / "winback-grader"


def test_default_dir_not_working_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    folder = default_cache_dir({})
    assert folder == Path.home() / ".cache" / "winback-grader"
    assert folder.resolve() != tmp_path.resolve()


def test_open_cache_honours_config(tmp_path: Path) -> None:
    assert open_cache(GraderConfig(model="openai/m", cache=False)) is None
    cache = open_cache(GraderConfig(model="openai/m", cache_dir=tmp_path / "c"))
    assert cache is not None
    assert cache.directory == tmp_path / "c"
    cache.close()


def test_values_survive_reopening(tmp_path: Path) -> None:
    with GradeCache(tmp_path) as cache:
        cache.set("key-1", {"score": 3, "usage": {"prompt_tokens": 10}})
    with GradeCache(tmp_path) as cache:
        assert cache.get("key-1") == {"score": 3, "usage": {"prompt_tokens": 10}}
        assert cache.get("key-2") is None


def test_another_process_reads_and_writes(tmp_path: Path) -> None:
    with GradeCache(tmp_path) as cache:
        cache.set("from-parent", {"n": 1})
    script = (
        "import sys\n"
        "from winback_grader.cache import GradeCache\n"
        "cache = GradeCache(sys.argv[1])\n"
        "print(cache.get('from-parent'))\n"
        "cache.set('from-child', {'n': 2})\n"
        "cache.close()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "{'n': 1}"
    with GradeCache(tmp_path) as cache:
        assert cache.get("from-child") == {"n": 2}


def test_unwritable_folder_names_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as caught:
        GradeCache(blocker / "cache")
    message = str(caught.value)
    assert f"cannot open the grade cache in {str(blocker / 'cache')!r}" in message
    assert "--cache-dir" in message
    assert "--no-cache" in message


# -- the cache in a grading run, counted at the loopback server ---------------------------------


def grade_calls(server: OpenAIServer, rubric: Rubric, cache_dir: Path, **options: Any) -> int:
    """Grade two calls and return how many requests reached the server."""
    before = len(server.chat_requests())
    options = {"model": "openai/test-model", **options}
    grade_many(
        [make_transcript("call-1"), make_transcript("call-2")],
        rubric,
        api_base=server.base_url,
        api_key="sk-secret-cache-test",
        cache_dir=cache_dir,
        **options,
    )
    return len(server.chat_requests()) - before


@pytest.fixture
def grading_server() -> Iterator[OpenAIServer]:
    with OpenAIServer(GradingResponder()) as server:
        yield server


def test_second_identical_run_sends_nothing(grading_server: OpenAIServer, tmp_path: Path) -> None:
    rubric = load_rubric("winback")
    first = grade_calls(grading_server, rubric, tmp_path)
    second = grade_calls(grading_server, rubric, tmp_path)
    assert first == 2 * len(rubric.criteria)
    assert second == 0


def test_second_run_counts_cache_hits(grading_server: OpenAIServer, tmp_path: Path) -> None:
    rubric = load_rubric("winback")
    grade_calls(grading_server, rubric, tmp_path)
    scorecards = grade_many(
        [make_transcript("call-1")], rubric, model="openai/test-model",
        api_base=grading_server.base_url, api_key="sk-test", cache_dir=tmp_path,
    )
    assert scorecards[0].usage.calls == 0
    assert scorecards[0].usage.cached_calls == len(rubric.criteria)


def test_cache_misses_on_changes(grading_server: OpenAIServer, tmp_path: Path) -> None:
    rubric = load_rubric("winback")
    calls = 2 * len(rubric.criteria)
    grade_calls(grading_server, rubric, tmp_path)

    # Rubric text: one criterion's description changes, so only that criterion misses.
    reworded = rubric.model_dump()
    reworded["sections"][0]["criteria"][0]["description"] = "Greets the customer by name."
    assert grade_calls(grading_server, Rubric.model_validate(reworded), tmp_path) == 2

    # Response schema: a criterion that now allows N/A has another score type in its schema.
    widened = rubric.model_dump()
    widened["sections"][1]["criteria"][0]["na_allowed"] = True
    assert grade_calls(grading_server, Rubric.model_validate(widened), tmp_path) == 2

    # Model and temperature: every criterion misses.
    assert grade_calls(grading_server, rubric, tmp_path, model="openai/other-model") == calls
    assert grade_calls(grading_server, rubric, tmp_path, temperature=0.7) == calls


def test_no_cache_option_always_sends(grading_server: OpenAIServer, tmp_path: Path) -> None:
    rubric = load_rubric("winback")
    grade_calls(grading_server, rubric, tmp_path)
    assert grade_calls(grading_server, rubric, tmp_path, cache=False) == 2 * len(rubric.criteria)


def test_cache_holds_no_api_key(grading_server: OpenAIServer, tmp_path: Path) -> None:
    grade_calls(grading_server, load_rubric("winback"), tmp_path)
    stored = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert stored  # the run wrote something
    assert b"sk-secret-cache-test" not in stored


def test_cache_holds_redacted_text_only(grading_server: OpenAIServer, tmp_path: Path) -> None:
    transcript = make_transcript("call-1")
    email_turn = Turn(
        speaker="Customer", role="customer", text="Write to jane.doe@example.com please."
    )
    transcript = transcript.model_copy(update={"turns": [*transcript.turns, email_turn]})

    grade_many(
        [transcript], model="openai/test-model", api_base=grading_server.base_url,
        api_key="sk-test", cache_dir=tmp_path,
    )

    stored = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    sent = b"".join(request.raw for request in grading_server.chat_requests())
    # The cache stores replies under hashed keys. A reply can only echo what the prompt sent,
    # and the prompt was redacted.
    assert b"The agent's words in the quoted turn" in stored
    assert b"jane.doe@example.com" not in sent
    assert b"jane.doe@example.com" not in stored

"""No API key reaches an error grade, a raw reply, a log record, a scorecard or the grade cache.

The loopback server echoes the request's Authorization header back, as some error pages and
some models do.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from grading_responder import structured_reply
from llm_replies import CALL, engine, grade_reply, quote
from openai_server import OpenAIServer, Reply, Request
from winback_grader import GraderConfig, Scorecard, grade, load_rubric
from winback_grader.engines.scrubbing import SecretScrubber

KEY = "sk-secret-KEY-abc123"
DEFAULT_REASONING = "The agent's words in the quoted turn decide this grade."


def _echo_key_error(request: Request) -> Reply:
    message = f"bad key {request.headers.get('authorization', '')}"
    return Reply(status=500, body={"error": {"message": message, "type": "server_error"}})


def _echo_key_reasoning(request: Request) -> Reply:
    reply = structured_reply(request)
    call = reply.body["choices"][0]["message"]["tool_calls"][0]["function"]
    echoed = f"The request came with {request.headers.get('authorization', '')}."
    call["arguments"] = call["arguments"].replace(DEFAULT_REASONING, echoed)
    return reply


def _grade(server: OpenAIServer, cache_dir: Path, **options: object) -> Scorecard:
    # One request for the whole rubric and one transient retry keep the test near a second.
    return grade(
        CALL, "winback", model="openai/test-model", api_base=server.base_url,
        cache_dir=cache_dir, strategy="rubric", transient_retries=1, mode="tools", **options,
    )


def _llm_errors(scorecard: Scorecard) -> list[str]:
    return [g.error or "" for g in scorecard.grades if g.engine == "llm"]


def _logged_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records] + [caplog.text]


def test_env_key_hidden_from_error_grades(
    openai_server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The command line has no --api-key, so its users supply the key this way only.
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    openai_server.responder = _echo_key_error
    caplog.set_level(logging.DEBUG)

    scorecard = _grade(openai_server, tmp_path)

    assert openai_server.chat_requests()[0].headers["authorization"] == f"Bearer {KEY}"
    errors = _llm_errors(scorecard)
    assert errors
    assert all("bad key Bearer <api key>" in error for error in errors)
    assert KEY not in scorecard.model_dump_json()
    for text in _logged_texts(caplog):
        assert KEY not in text


def test_passed_key_hidden_from_retry_log(
    openai_server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    openai_server.responder = _echo_key_error
    caplog.set_level(logging.DEBUG)

    scorecard = _grade(openai_server, tmp_path, api_key=KEY)

    retries = [text for text in _logged_texts(caplog) if "model request failed (attempt 1)" in text]
    assert retries
    assert all("<api key>" in text for text in retries)
    for text in _logged_texts(caplog):
        assert KEY not in text
    assert KEY not in scorecard.model_dump_json()
    assert all("<api key>" in error for error in _llm_errors(scorecard))


@pytest.mark.parametrize("key_source", ["environment", "api_key"])
def test_echoed_key_hidden_from_reasoning_and_cache(
    openai_server: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    key_source: str,
) -> None:
    options: dict[str, object] = {}
    if key_source == "environment":
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
    else:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        options["api_key"] = KEY
    openai_server.responder = _echo_key_reasoning
    cache_dir = tmp_path / "cache"

    first = _grade(openai_server, cache_dir, **options)
    cached = _grade(openai_server, cache_dir, **options)

    assert len(openai_server.chat_requests()) == 1
    llm_grades = [g for g in first.grades if g.engine == "llm"]
    assert [g.status for g in llm_grades] == ["scored"] * len(llm_grades)
    assert all("The request came with Bearer <api key>." in g.reasoning for g in llm_grades)
    assert KEY not in first.model_dump_json()
    assert KEY not in cached.model_dump_json()
    stored = b"".join(path.read_bytes() for path in cache_dir.rglob("*") if path.is_file())
    assert b"<api key>" in stored
    assert KEY.encode() not in stored


def test_echoed_key_hidden_from_unverified_quote(openai_server: OpenAIServer) -> None:
    # A quote not found in the transcript is still kept in the scorecard, marked unverified.
    echoed = [quote(f"this is Dana, key {KEY}", 0)]
    openai_server.script(*[grade_reply("greeting", 4, evidence=echoed) for _ in range(2)])
    rubric = load_rubric("winback")
    grader = engine(openai_server, api_key=KEY)

    result = asyncio.run(grader.grade(CALL, rubric, [rubric.criterion("greeting")]))

    evidence = result.grades[0].evidence
    assert len(openai_server.chat_requests()) == 2
    assert evidence[0].verified is False
    assert evidence[0].quote == "this is Dana, key <api key>"


def _scrubber(api_key: str | None = None, **environ: str) -> SecretScrubber:
    config = GraderConfig(model="openai/test-model", api_key=api_key)
    return SecretScrubber.from_config(config, environ)


@pytest.mark.parametrize(
    ("scrubber", "text", "expected"),
    [
        pytest.param(_scrubber(KEY), f"echo {KEY}!", "echo <api key>!", id="passed-key"),
        pytest.param(
            _scrubber(ANTHROPIC_API_KEY=KEY), f"echo {KEY}", "echo <api key>", id="env-api-key"
        ),
        pytest.param(
            _scrubber(AZURE_AD_TOKEN="tok-1234567"), "got tok-1234567", "got <api key>",
            id="env-token",
        ),
        pytest.param(
            _scrubber(AWS_SECRET="aws-secret-9"), "got aws-secret-9", "got <api key>",
            id="env-secret",
        ),
        pytest.param(
            _scrubber(OPENAI_API_BASE="http://127.0.0.1:8000"), "at http://127.0.0.1:8000",
            "at http://127.0.0.1:8000", id="env-other-name-kept",
        ),
        pytest.param(
            _scrubber("none", LOCAL_KEY="dummy"), "none of the dummy offers",
            "none of the dummy offers", id="short-values-kept",
        ),
        pytest.param(
            _scrubber("sk-test", LOCAL_KEY="sk-test"), "key sk-test", "key <api key>",
            id="short-api-key-hidden",
        ),
        pytest.param(
            _scrubber(SHORT_KEY="abcdefgh", LONG_KEY="abcdefgh-and-more"),
            "key abcdefgh-and-more", "key <api key>", id="longest-first",
        ),
        pytest.param(
            _scrubber(), "Authorization: Bearer sk-proj-a1b2c3d4e5==",
            "Authorization: Bearer <api key>", id="bearer-token",
        ),
        pytest.param(
            _scrubber(), "the agent was the bearer of unwelcome pricing news",
            "the agent was the bearer of unwelcome pricing news", id="bearer-prose-kept",
        ),
    ],
)
def test_scrubber_replaces_secrets(scrubber: SecretScrubber, text: str, expected: str) -> None:
    assert scrubber.scrub(text) == expected


def test_scrubber_reads_environment_at_creation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    scrubber = SecretScrubber.from_config(GraderConfig(model="openai/test-model"))
    monkeypatch.delenv("OPENAI_API_KEY")

    assert scrubber.scrub(KEY) == "<api key>"

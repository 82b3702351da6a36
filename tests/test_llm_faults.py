"""Fault injection: transient errors are retried beneath schema re-asks; fatal ones fail at once."""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import datetime, timezone
from email.utils import formatdate

import pytest

from llm_replies import CALL, engine, grade_reply, tool_messages
from openai_server import OpenAIServer, Reply, Request, chat_reply, tool_call
from winback_grader import Rubric, load_rubric
from winback_grader.engines.base import EngineResult
from winback_grader.engines.transport import parse_retry_after


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric("winback")


def _grade(server: OpenAIServer, rubric: Rubric, **options: object) -> EngineResult:
    coroutine = engine(server, **options).grade(CALL, rubric, [rubric.criterion("greeting")])
    result: EngineResult = asyncio.run(coroutine)
    return result


def _error(status: int, message: str, **headers: str) -> Reply:
    return Reply(
        status=status, body={"error": {"message": message, "type": "error"}}, headers=headers
    )


def test_429_waits_retry_after_and_is_not_reasked(
    openai_server: OpenAIServer, rubric: Rubric
) -> None:
    openai_server.script(
        _error(429, "rate limited", **{"Retry-After": "1"}), grade_reply("greeting", 4)
    )
    result = _grade(openai_server, rubric)

    first, second = openai_server.chat_requests()
    assert second.received_at - first.received_at >= 0.9
    assert second.body["messages"] == first.body["messages"]
    assert tool_messages(second.body) == []
    assert result.grades[0].score == 4
    assert result.usage.calls == 2


FIXED_NOW = datetime(2026, 10, 21, 7, 28, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2", 2.0, id="seconds"),
        pytest.param("0.25", 0.25, id="fractional-seconds"),
        pytest.param("-3", 0.0, id="negative-seconds"),
        pytest.param("3600", 60.0, id="seconds-capped"),
        pytest.param("Wed, 21 Oct 2026 07:28:05 GMT", 5.0, id="date-ahead"),
        pytest.param("Wed, 21 Oct 2026 07:27:00 GMT", 0.0, id="date-past"),
        pytest.param("Wed, 21 Oct 2026 09:00:00 GMT", 60.0, id="date-capped"),
        pytest.param("Wed, 21 Oct 2026 07:28:07 -0000", 7.0, id="date-without-zone"),
        pytest.param("Wednesday, 21-Oct-26 07:28:03 GMT", 3.0, id="date-rfc850"),
        pytest.param("Wed, 21 Oct 2026 09:28:00 +0200", 0.0, id="date-other-zone"),
        pytest.param("soon", None, id="neither"),
        pytest.param("", None, id="empty"),
        pytest.param("nan", None, id="nan"),
        pytest.param("Wed, 32 Oct 2026 07:28:00 GMT", None, id="impossible-date"),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now=FIXED_NOW) == expected


def test_429_waits_until_retry_after_date(openai_server: OpenAIServer, rubric: Rubric) -> None:
    arrivals: list[float] = []
    retry_at: list[float] = []

    def responder(request: Request) -> Reply:
        arrivals.append(time.time())
        if len(arrivals) > 1:
            return grade_reply("greeting", 4)
        # The date is set when the 429 is sent, because litellm's first request in a process
        # takes seconds to start. HTTP dates have whole seconds, so this is 1 to 2 s ahead.
        retry_at.append(math.floor(arrivals[0]) + 2)
        return _error(429, "rate limited", **{"Retry-After": formatdate(retry_at[0], usegmt=True)})

    openai_server.responder = responder
    result = _grade(openai_server, rubric)

    assert len(arrivals) == 2
    # 10 ms of slack for the monotonic clock that times the wait drifting from the wall clock.
    assert arrivals[1] >= retry_at[0] - 0.01
    assert result.grades[0].score == 4
    assert result.usage.calls == 2


def test_500_then_503_are_retried(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(
        _error(500, "internal"), _error(503, "overloaded"), grade_reply("greeting", 3)
    )
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 3
    assert result.grades[0].status == "scored"
    assert result.grades[0].score == 3


def test_transient_retries_are_bounded(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(*[_error(503, "overloaded") for _ in range(3)], grade_reply("greeting", 3))
    result = _grade(openai_server, rubric, transient_retries=2)

    assert len(openai_server.chat_requests()) == 3
    grade_ = result.grades[0]
    assert grade_.status == "error"
    assert grade_.error is not None
    assert grade_.error.startswith("the model request failed after all retries")


def test_slow_reply_times_out_and_retries(openai_server: OpenAIServer, rubric: Rubric) -> None:
    slow = grade_reply("greeting", 1)
    slow.delay = 2.0
    openai_server.script(slow, grade_reply("greeting", 4))
    result = _grade(openai_server, rubric, timeout=0.5)

    assert len(openai_server.chat_requests()) == 2
    assert result.grades[0].score == 4


def test_reset_connection_is_retried(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(Reply(reset=True), grade_reply("greeting", 2))
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 2
    assert result.grades[0].score == 2


def test_malformed_arguments_are_reasked(openai_server: OpenAIServer, rubric: Rubric) -> None:
    broken = chat_reply(tool_calls=[tool_call("grade_greeting", '{"reasoning": "ok", "score": 4')])
    openai_server.script(broken, grade_reply("greeting", 4))
    result = _grade(openai_server, rubric)

    requests = openai_server.chat_requests()
    assert len(requests) == 2
    assert len(tool_messages(requests[1].body)) == 1
    assert result.grades[0].score == 4


def _other_tool_reply() -> Reply:
    # Arguments that fit the greeting's schema, so only the tool name is wrong.
    arguments = {
        "reasoning": "The agent gave name and company.",
        "evidence": [{"quote": "this is Dana from Acme Telecom", "turn": 0}],
        "score": 4,
    }
    return chat_reply(tool_calls=[tool_call("other_tool", arguments)])


def test_other_tool_name_is_reasked(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(_other_tool_reply(), grade_reply("greeting", 3))
    result = _grade(openai_server, rubric)

    requests = openai_server.chat_requests()
    assert len(requests) == 2
    reask = tool_messages(requests[1].body)
    assert len(reask) == 1
    assert "the model called tool 'other_tool' instead of 'grade_greeting'" in reask[0]
    assert result.grades[0].status == "scored"
    assert result.grades[0].score == 3
    assert result.usage.calls == 2


def test_other_tool_name_ends_in_error(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(*[_other_tool_reply() for _ in range(3)])
    result = _grade(openai_server, rubric, max_retries=1)

    assert len(openai_server.chat_requests()) == 2
    grade_ = result.grades[0]
    assert grade_.status == "error"
    assert grade_.score is None
    assert grade_.error == (
        "the model's reply did not fit the response schema after 2 attempts: "
        "the model called tool 'other_tool' instead of 'grade_greeting'"
    )
    assert grade_.raw_reply is not None
    assert '"score": 4' in grade_.raw_reply


def test_malformed_http_body_is_an_error(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(*[Reply(status=200, body="{not json") for _ in range(5)])
    result = _grade(openai_server, rubric, transient_retries=1, max_retries=0)

    # litellm 1.110 reports an unparsable body as InternalServerError, so it counts as transient.
    assert len(openai_server.chat_requests()) == 2
    grade_ = result.grades[0]
    assert grade_.status == "error"
    assert grade_.error is not None
    assert grade_.error.startswith("the model request failed after all retries")
    assert grade_.score is None


def test_truncated_reply_retried_with_larger_budget(
    openai_server: OpenAIServer, rubric: Rubric
) -> None:
    cut = chat_reply(
        tool_calls=[tool_call("grade_greeting", '{"reasoning": "The agent')], finish_reason="length"
    )
    openai_server.script(cut, grade_reply("greeting", 4))
    result = _grade(openai_server, rubric, max_tokens=100)

    first, second = openai_server.chat_requests()
    assert first.body["max_tokens"] == 100
    assert second.body["max_tokens"] == 1024
    assert tool_messages(second.body) == []
    assert result.grades[0].score == 4


def test_truncated_twice_is_truncation_error(openai_server: OpenAIServer, rubric: Rubric) -> None:
    cut = chat_reply(
        tool_calls=[tool_call("grade_greeting", '{"reasoning": "The agent')], finish_reason="length"
    )
    openai_server.script(cut, cut, grade_reply("greeting", 4))
    result = _grade(openai_server, rubric, max_tokens=100)

    assert len(openai_server.chat_requests()) == 2
    grade_ = result.grades[0]
    assert grade_.status == "error"
    assert grade_.error == (
        "the reply was cut off at the token limit twice (last max_tokens=1024); raise max_tokens"
    )
    assert grade_.raw_reply == '{"reasoning": "The agent'
    assert result.usage.completion_tokens == 40


def test_two_tool_calls_are_an_error(openai_server: OpenAIServer, rubric: Rubric) -> None:
    arguments = {"reasoning": "ok", "evidence": [], "score": 4}
    calls = [
        tool_call("grade_greeting", arguments, "call_1"),
        tool_call("grade_greeting", arguments, "call_2"),
    ]
    openai_server.script(chat_reply(tool_calls=calls), grade_reply("greeting", 4))
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 1
    grade_ = result.grades[0]
    assert grade_.status == "error"
    assert (
        grade_.error
        == "the model called 2 tools (grade_greeting, grade_greeting) where one grade was expected"
    )
    assert grade_.raw_reply is not None


def test_empty_reply_is_an_error(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(chat_reply(""), grade_reply("greeting", 4))
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 1
    assert result.grades[0].error == "the model sent an empty reply"


def test_auth_error_fails_at_once(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(_error(401, "Incorrect API key provided"), grade_reply("greeting", 4))
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 1
    error = result.grades[0].error
    assert error is not None
    assert error.startswith("authentication failed for model 'openai/test-model'")
    assert "check the API key" in error
    assert "sk-test-secret-123" not in error


def test_missing_api_key_fails_at_once(
    openai_server: OpenAIServer, rubric: Rubric, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = _grade(openai_server, rubric, api_key=None)

    assert openai_server.chat_requests() == []
    assert result.usage.calls == 1
    error = result.grades[0].error
    assert error is not None
    assert error.startswith("authentication failed for model 'openai/test-model'")
    assert "Missing credentials" in error
    assert "check the API key" in error


def test_context_overflow_fails_at_once(openai_server: OpenAIServer, rubric: Rubric) -> None:
    message = (
        "This model's maximum context length is 8192 tokens. "
        "However, your messages resulted in 9000 tokens."
    )
    openai_server.script(_error(400, message), grade_reply("greeting", 4))
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 1
    assert "longer than the context window" in (result.grades[0].error or "")


def test_bad_request_fails_at_once(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(_error(400, "Unrecognized request argument"), grade_reply("greeting", 4))
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 1
    assert (result.grades[0].error or "").startswith("the request was rejected as invalid")


def test_content_policy_fails_at_once(openai_server: OpenAIServer, rubric: Rubric) -> None:
    body = {
        "error": {
            "message": "Your request was rejected by our safety system.",
            "code": "content_policy_violation",
        }
    }
    openai_server.script(Reply(status=400, body=body), grade_reply("greeting", 4))
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 1
    assert "content policy" in (result.grades[0].error or "")


def test_schema_rejection_500_is_not_retried(openai_server: OpenAIServer, rubric: Rubric) -> None:
    # llama-cpp-python's server rejects a json_schema response_format with HTTP 500 every time.
    openai_server.script(
        _error(500, "Unsupported param: response_format json_schema"), grade_reply("greeting", 4)
    )
    result = _grade(openai_server, rubric, mode="json_schema")

    assert len(openai_server.chat_requests()) == 1
    error = result.grades[0].error or ""
    assert "rejected the structured-output request" in error
    assert "set mode= to another of 'tools', 'json_schema' and 'json'" in error


def test_concurrent_calls_keep_separate_budgets(
    openai_server: OpenAIServer, rubric: Rubric
) -> None:
    # Each criterion's first request fails. A shared attempt counter would run out for later calls.
    seen: set[str] = set()

    def responder(request: object) -> Reply:
        body = request.body  # type: ignore[attr-defined]
        name = body["tools"][0]["function"]["name"]
        if name not in seen:
            seen.add(name)
            return _error(503, "overloaded")
        return grade_reply(name.removeprefix("grade_"), 1, evidence=[])

    openai_server.responder = responder
    grader = engine(openai_server, transient_retries=1)

    async def all_criteria() -> list[EngineResult]:
        return await asyncio.gather(*[grader.grade(CALL, rubric, [c]) for c in rubric.criteria])

    results = asyncio.run(all_criteria())
    assert [r.grades[0].status for r in results] == ["scored"] * len(rubric.criteria)
    assert len(openai_server.chat_requests()) == 2 * len(rubric.criteria)
    assert json.dumps([r.usage.calls for r in results]) == json.dumps([2] * len(rubric.criteria))


def test_content_filter_finish_is_an_error(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(
        chat_reply(None, finish_reason="content_filter"), grade_reply("greeting", 4)
    )
    result = _grade(openai_server, rubric)

    assert len(openai_server.chat_requests()) == 1
    assert (result.grades[0].error or "").startswith(
        "the provider's content filter stopped the reply"
    )


def test_full_budget_reply_counts_as_truncated(openai_server: OpenAIServer, rubric: Rubric) -> None:
    # llama-cpp-python reports a cut-off tool call with finish_reason "tool_calls".
    cut = chat_reply(
        tool_calls=[tool_call("grade_greeting", '{"reasoning": "The agent')], completion_tokens=100
    )
    openai_server.script(cut, grade_reply("greeting", 4))
    result = _grade(openai_server, rubric, max_tokens=100)

    first, second = openai_server.chat_requests()
    assert first.body["max_tokens"] == 100
    assert second.body["max_tokens"] == 1024
    assert tool_messages(second.body) == []
    assert result.grades[0].score == 4


def test_refusal_is_an_error_without_reask(openai_server: OpenAIServer, rubric: Rubric) -> None:
    refusal = chat_reply(tool_calls=[tool_call("greeting", {"score": 4})])
    refusal.body["choices"][0]["message"]["refusal"] = "I can't help with grading this call."
    openai_server.script(refusal)
    result = _grade(openai_server, rubric)

    grade_ = result.grades[0]
    assert grade_.status == "error"
    assert grade_.error is not None
    assert grade_.error == "the model refused to grade: I can't help with grading this call."
    assert len(openai_server.chat_requests()) == 1


def test_refusal_without_content_keeps_its_text(
    openai_server: OpenAIServer, rubric: Rubric
) -> None:
    refusal = chat_reply(None)
    refusal.body["choices"][0]["message"]["refusal"] = "I can't assist with that."
    openai_server.script(refusal)
    result = _grade(openai_server, rubric)

    assert result.grades[0].status == "error"
    assert result.grades[0].error == "the model refused to grade: I can't assist with that."


def test_reply_without_choices_is_an_error(openai_server: OpenAIServer, rubric: Rubric) -> None:
    empty = chat_reply("unused")
    empty.body["choices"] = []
    openai_server.script(empty)
    result = _grade(openai_server, rubric)

    assert result.grades[0].status == "error"
    assert result.grades[0].error == "the model sent a reply without choices"
    assert len(openai_server.chat_requests()) == 1

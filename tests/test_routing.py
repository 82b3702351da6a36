"""litellm's Router for rate limits: it lives for one grading run and leaves no global state."""

from __future__ import annotations

from typing import Any

import pytest

from grading_responder import structured_reply
from openai_server import OpenAIServer
from winback_grader import GraderConfig, Transcript, Turn, grade, grade_many, load_rubric
from winback_grader.engines.llm import LLMEngine
from winback_grader.grading import build_engines, close_engines
from winback_grader.routing import RouterLease


def make_transcript(call_id: str) -> Transcript:
    return Transcript(
        id=call_id,
        turns=[
            Turn(speaker="Agent", role="agent", text=f"Hi, Dana from Acme here about {call_id}."),
            Turn(speaker="Customer", role="customer", text="I left because the price went up."),
            Turn(speaker="Agent", role="agent", text="I can offer twenty percent off for a year."),
        ],
    )


def litellm_state() -> tuple[int, frozenset[str]]:
    """Return the number of litellm callbacks and the model names litellm has prices for."""
    import litellm

    return len(litellm.callbacks), frozenset(litellm.model_cost)


def grade_options(server: OpenAIServer) -> dict[str, Any]:
    return {
        "model": "openai/test-model", "rpm": 10_000, "api_base": server.base_url,
        "api_key": "sk-test", "transient_retries": 0, "cache": False, "mode": "tools",
    }


def test_grade_twice_with_rpm_leaves_litellm_state() -> None:
    rubric = load_rubric("winback")
    before = litellm_state()
    with OpenAIServer(structured_reply) as server:
        first = grade(make_transcript("call-1"), rubric, **grade_options(server))
        after_first = litellm_state()
        second = grade(make_transcript("call-2"), rubric, **grade_options(server))
        after_second = litellm_state()

    assert first.errors == []
    assert second.errors == []
    assert after_first[0] == before[0]
    assert after_second[0] == before[0]
    assert after_first[1] == before[1]
    assert after_second[1] == before[1]


def test_batch_with_rpm_leaves_litellm_state() -> None:
    before = litellm_state()
    with OpenAIServer(structured_reply) as server:
        scorecards = grade_many(
            [make_transcript("call-1"), make_transcript("call-2")], "winback",
            **grade_options(server),
        )

    assert [card.errors for card in scorecards] == [[], []]
    assert litellm_state() == before


def test_router_lease_registers_until_released() -> None:
    import litellm

    before = litellm_state()
    config = GraderConfig.from_options("openai/test-model", rpm=5, api_base="http://127.0.0.1:9")
    lease = RouterLease(config)
    during = litellm_state()
    in_leased_state = "openai/test-model" in litellm.model_cost
    lease.release()
    lease.release()  # a second release does nothing

    # The rate-limit check and the deployments are registered while the Router is leased.
    assert during[0] == before[0] + 1
    assert during[1] > before[1]
    assert in_leased_state
    assert litellm_state() == before


@pytest.mark.parametrize("option", [{"rpm": 5}, {"tpm": 1000}, {"fallbacks": ["openai/b"]}])
def test_router_lease_for_each_limit(option: dict[str, Any]) -> None:
    before = litellm_state()
    config = GraderConfig.from_options("openai/test-model", api_base="http://127.0.0.1:9", **option)
    lease = RouterLease(config)
    lease.release()

    assert litellm_state() == before


def test_auto_mode_same_with_rpm() -> None:
    plain = GraderConfig.from_options("openai/test-model", cache=False)
    limited = GraderConfig.from_options("openai/test-model", cache=False, rpm=5)
    plain_engines = build_engines(plain)
    limited_engines = build_engines(limited)
    try:
        plain_engine = plain_engines["llm"]
        limited_engine = limited_engines["llm"]
        assert isinstance(plain_engine, LLMEngine)
        assert isinstance(limited_engine, LLMEngine)
        plain_mode = plain_engine.mode
        limited_mode = limited_engine.mode
    finally:
        close_engines(plain_engines)
        close_engines(limited_engines)

    # The Router registers "openai/test-model" in litellm, which would turn tools into json.
    assert plain_mode == "tools"
    assert limited_mode == plain_mode

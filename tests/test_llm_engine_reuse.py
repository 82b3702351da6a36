"""The LLM engine builds each reply model once, so repeated grading adds no pydantic classes."""

from __future__ import annotations

import gc

from grading_responder import structured_reply
from openai_server import OpenAIServer
from winback_grader import GraderConfig, Transcript, Turn, load_rubric
from winback_grader.grading import build_engines, close_engines, grade_transcript, run_sync


def make_transcript(call_id: str) -> Transcript:
    return Transcript(
        id=call_id,
        turns=[
            Turn(speaker="Agent", role="agent", text=f"Hi, Dana from Acme here about {call_id}."),
            Turn(speaker="Customer", role="customer", text="I left because the price went up."),
            Turn(speaker="Agent", role="agent", text="I can offer twenty percent off for a year."),
        ],
    )


def count_response_schema_classes() -> int:
    """Return how many live classes subclass instructor's ResponseSchema."""
    from instructor.v2.core.function_calls import ResponseSchema

    gc.collect()
    return len(ResponseSchema.__subclasses__())


def test_repeated_grading_adds_no_reply_classes() -> None:
    rubric = load_rubric("winback")
    with OpenAIServer(structured_reply) as server:
        config = GraderConfig.from_options(
            "openai/test-model", api_base=server.base_url, api_key="sk-test", cache=False,
            mode="tools", transient_retries=0,
        )
        engines = build_engines(config)
        try:
            first = run_sync(grade_transcript(make_transcript("call-1"), rubric, config,
                                              engines=engines))
            after_first = count_response_schema_classes()
            for number in range(2, 5):
                card = run_sync(grade_transcript(make_transcript(f"call-{number}"), rubric,
                                                 config, engines=engines))
                assert card.errors == []
            after_more = count_response_schema_classes()
        finally:
            close_engines(engines)
        requests = len(server.chat_requests())

    assert first.errors == []
    assert requests == 4 * len(rubric.criteria)
    assert after_more == after_first


def test_section_strategy_reuses_group_models() -> None:
    rubric = load_rubric("winback")
    with OpenAIServer(structured_reply) as server:
        config = GraderConfig.from_options(
            "openai/test-model", api_base=server.base_url, api_key="sk-test", cache=False,
            mode="tools", transient_retries=0, strategy="section",
        )
        engines = build_engines(config)
        try:
            first = run_sync(grade_transcript(make_transcript("call-1"), rubric, config,
                                              engines=engines))
            after_first = count_response_schema_classes()
            second = run_sync(grade_transcript(make_transcript("call-2"), rubric, config,
                                               engines=engines))
            after_second = count_response_schema_classes()
        finally:
            close_engines(engines)

    assert first.errors == []
    assert second.errors == []
    assert after_second == after_first

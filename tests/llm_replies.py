"""Scripted judge-model replies and a small call for the LLM engine tests."""

from __future__ import annotations

from typing import Any

from openai_server import OpenAIServer, Reply, chat_reply, tool_call
from winback_grader import GraderConfig, Transcript, Turn
from winback_grader.engines.llm import LLMEngine

__all__ = ["CALL", "engine", "grade_reply", "quote", "tool_messages"]

CALL = Transcript(
    id="call-7",
    turns=[
        Turn(
            speaker="spk_0",
            role="agent",
            text="Hi, this is Dana from Acme Telecom, calling about your account.",
            start=0.0,
            end=4.0,
        ),
        Turn(
            speaker="spk_1",
            role="customer",
            text="I cancelled because the price went up twice this year.",
            start=5.0,
            end=9.0,
        ),
        Turn(
            speaker="spk_0",
            role="agent",
            text="I will not raise your price this year, and I can waive the fee.",
            start=10.0,
            end=15.0,
        ),
        Turn(
            speaker="spk_1",
            role="customer",
            text="Okay, then I will think about coming back.",
            start=16.0,
            end=19.0,
        ),
    ],
    metadata={"call_id": "call-7"},
)


def quote(text: str, turn: int) -> dict[str, Any]:
    """One evidence entry as the model sends it."""
    return {"quote": text, "turn": turn}


def grade_reply(
    criterion_id: str,
    score: Any,
    *,
    evidence: list[dict[str, Any]] | None = None,
    reasoning: str = "The agent gave name and company.",
    **options: Any,
) -> Reply:
    """A tools-mode reply grading one criterion."""
    arguments = {
        "reasoning": reasoning,
        "evidence": evidence
        if evidence is not None
        else [quote("this is Dana from Acme Telecom", 0)],
        "score": score,
    }
    return chat_reply(tool_calls=[tool_call("grade_" + criterion_id, arguments)], **options)


def engine(server: OpenAIServer, **options: Any) -> LLMEngine:
    """An LLM engine pointed at the loopback server, with near-zero backoff waits."""
    settings: dict[str, Any] = {
        "model": "openai/test-model",
        "api_base": server.base_url,
        "api_key": "sk-test-secret-123",
        **options,
    }
    return LLMEngine(GraderConfig(**settings), backoff_base=0.01)


def tool_messages(body: dict[str, Any]) -> list[str]:
    """The contents of the tool-result messages in a request: instructor's re-ask texts."""
    return [m["content"] for m in body["messages"] if m.get("role") == "tool"]

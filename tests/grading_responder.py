"""A responder for the loopback OpenAI server that returns a valid structured grade for any request.

It reads the response schema the client sent (the first tool's ``parameters`` in tools mode, or
``response_format.json_schema.schema`` in JSON-schema mode) and builds an object that fits it:
the first allowed value of each enum (so the lowest score), a short reasoning, and evidence
quotes copied word for word from the first transcript turn in the prompt.

    responder = GradingResponder()
    with OpenAIServer(responder) as server:
        grade(..., api_base=server.base_url)
    assert responder.replies == len(server.chat_requests())
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from openai_server import Reply, Request, chat_reply, tool_call

__all__ = ["GradingResponder", "build_instance", "response_schema", "structured_reply"]

# A transcript line as the shipped prompt renders it: "[3] agent 00:12 text" (time optional).
_TURN_LINE = re.compile(r"^\[(\d+)\]\s+\S+\s+(?:\d{1,2}:\d{2}(?::\d{2})?\s+)?(.+)$", re.MULTILINE)
QUOTE_WORDS = 6


def response_schema(body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Return ``(tool name or None, JSON schema)`` of the structured reply a request expects."""
    tools = body.get("tools") or []
    if tools:
        function = tools[0]["function"]
        return function["name"], function.get("parameters") or {}
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return None, response_format["json_schema"]["schema"]
    raise ValueError(f"request carries no response schema: keys {sorted(body)}")


def first_turn_quote(body: dict[str, Any]) -> tuple[str, int]:
    """Return the first words of the first transcript turn with enough words, and its number."""
    for message in body.get("messages", []):
        content = message.get("content")
        if not isinstance(content, str):
            continue
        for match in _TURN_LINE.finditer(content):
            words = match.group(2).split()
            if len(words) >= 4:
                return " ".join(words[:QUOTE_WORDS]), int(match.group(1))
    return "", 0


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if not reference:
        return schema
    # Local references only, as pydantic writes them: "#/$defs/Name".
    target: Any = root
    for part in reference.removeprefix("#/").split("/"):
        target = target[part]
    return _resolve(target, root)


def build_instance(
    schema: dict[str, Any], root: dict[str, Any], quote: tuple[str, int], name: str = ""
) -> Any:
    """Build a value that validates against ``schema``; ``root`` resolves ``$ref``s."""
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [_resolve(s, root) for s in schema[key]]
            non_null = [s for s in options if s.get("type") != "null"] or options
            return build_instance(non_null[0], root, quote, name)

    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            key: build_instance(value, root, quote, key)
            for key, value in properties.items()
        }
    if kind == "array":
        item = build_instance(schema.get("items", {}), root, quote, name)
        return [item] if quote[0] else []
    if kind == "integer":
        if name == "turn":
            return quote[1]
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if name == "quote":
        return quote[0]
    return "The agent's words in the quoted turn decide this grade."


def structured_reply(
    request: Request,
    *,
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    model: str = "test-model",
) -> Reply:
    """Build a 200 reply whose tool call or content fits the request's response schema.

    ``model`` is the model name the reply reports; litellm prices the reply by it.
    """
    body = request.body or {}
    try:
        tool_name, schema = response_schema(body)
    except ValueError as error:
        # A 400 names the problem; an exception here would only drop the connection.
        return Reply(status=400, body={"error": {"message": str(error)}})
    instance = build_instance(schema, schema, first_turn_quote(body))
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "model": model,
    }
    if tool_name is not None:
        return chat_reply(tool_calls=[tool_call(tool_name, instance)], **usage)
    return chat_reply(json.dumps(instance), **usage)


class GradingResponder:
    """Responder that replies to every chat request with ``structured_reply`` and counts usage."""

    def __init__(
        self, *, prompt_tokens: int = 100, completion_tokens: int = 20, model: str = "test-model"
    ) -> None:
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.model = model
        self.replies = 0
        """Successful replies sent."""
        self.prompt_tokens_sent = 0
        """Sum of ``usage.prompt_tokens`` over the successful replies."""
        self.completion_tokens_sent = 0
        """Sum of ``usage.completion_tokens`` over the successful replies."""
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        reply = structured_reply(
            request,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            model=self.model,
        )
        self.count(reply)
        return reply

    def count(self, reply: Reply) -> None:
        """Add a reply's usage to the counters (the server runs one thread per connection)."""
        if reply.status != 200:
            return
        usage = reply.body["usage"]
        with self._lock:
            self.replies += 1
            self.prompt_tokens_sent += usage["prompt_tokens"]
            self.completion_tokens_sent += usage["completion_tokens"]

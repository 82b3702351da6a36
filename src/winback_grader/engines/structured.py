"""Structured output through instructor's mode handlers, prepared once per reply model.

instructor's mode handler does three steps: it builds the request's schema keywords, parses
and validates the reply, and writes the re-ask messages. Its ``create()`` runs them in a retry
loop that also scans the reply model's classes for async validators, seven times per request.
On the 2-core development machine, removing that scan saved 0.6 and 1.4 ms of CPU per call in
two runs of 1,000 calls, where a bare litellm call cost 7 to 10 ms. Grading thousands of calls
is bound by client CPU. So the engine calls
the same handlers directly: the schema keywords are built once per reply model, and the
engine's own loop sends the re-asks that the handler writes.

NOTE: ``mode_registry`` and the handler signatures are instructor 1.17's v2 internals; a new
instructor minor version may move them (pyproject pins ``instructor>=1.17,<2``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .modes import StructuredMode

__all__ = ["ReplyFormat", "UnexpectedToolError", "reply_parse_errors"]


class UnexpectedToolError(ValueError):
    """The reply calls a tool other than the one that the request names in ``tool_choice``."""


def reply_parse_errors() -> tuple[type[Exception], ...]:
    """Return the errors that mean "the reply did not fit the schema": worth a re-ask."""
    from instructor.v2.core.errors import ResponseParsingError

    return (ValidationError, json.JSONDecodeError, ResponseParsingError, UnexpectedToolError)


@dataclass(frozen=True)
class ReplyFormat:
    """One reply model, prepared for one structured-output mode."""

    model: type[BaseModel]
    """The reply model, already wrapped by instructor's ``response_schema``."""
    mode: StructuredMode
    """``tools``, ``json_schema`` or ``json``."""
    schema_keywords: dict[str, Any]
    """The request keywords that carry the schema: ``tools`` and ``tool_choice``, or
    ``response_format``."""
    handlers: Any
    """instructor's ``ModeHandlers`` of the mode."""
    tool_name: str | None
    """The tool that the request forces in ``tools`` mode, or None in the other modes."""

    @classmethod
    def prepare(cls, model: type[BaseModel], mode: StructuredMode) -> ReplyFormat:
        """Build the schema keywords of ``model`` for ``mode`` once."""
        import instructor
        from instructor.v2.core.providers import Provider
        from instructor.v2.core.registry import mode_registry

        instructor_mode = {
            "tools": instructor.Mode.TOOLS,
            "json_schema": instructor.Mode.JSON_SCHEMA,
            "json": instructor.Mode.JSON,
        }[mode]
        # from_litellm uses the OpenAI handlers, because litellm speaks the OpenAI format.
        handlers = mode_registry.get_handlers(Provider.OPENAI, instructor_mode)
        _, prepared = handlers.request_handler(response_model=model, kwargs={"messages": []})
        keywords = {key: value for key, value in prepared.items() if key != "messages"}
        tool_name = keywords["tool_choice"]["function"]["name"] if mode == "tools" else None
        return cls(
            model=model, mode=mode, schema_keywords=keywords, handlers=handlers,
            tool_name=tool_name,
        )

    def request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Return the messages and schema keywords of one request."""
        if self.mode == "json":
            # JSON mode has no schema keyword: the handler writes the schema into a copy of the
            # system message, so it runs for each request.
            _, prepared = self.handlers.request_handler(
                response_model=self.model, kwargs={"messages": messages}
            )
            return dict(prepared)
        return {**self.schema_keywords, "messages": messages}

    def parse(self, response: Any) -> BaseModel:
        """Validate the reply against the model; raise one of ``reply_parse_errors()``."""
        if self.tool_name is not None:
            self._check_tool_name(response)
        # strict=True, as instructor's create() defaults to: "3" is not the score 3.
        parsed = self.handlers.response_parser(
            response=response,
            response_model=self.model,
            validation_context=None,
            strict=True,
            stream=False,
            is_async=True,
        )
        if not isinstance(parsed, BaseModel):
            raise TypeError(f"instructor returned {type(parsed).__name__}, not the reply model")
        return parsed

    def _check_tool_name(self, response: Any) -> None:
        # instructor 1.17 validates the first tool call's arguments without checking the tool's
        # name, so a call to another tool whose arguments happen to fit would pass as the grade.
        called = _called_tool_name(response)
        if called is not None and called != self.tool_name:
            raise UnexpectedToolError(
                f"the model called tool {called!r} instead of {self.tool_name!r}"
            )

    def reask(
        self, request: dict[str, Any], response: Any, error: Exception
    ) -> dict[str, Any]:
        """Return the next request: the reply and the validation error appended, as instructor
        writes them for the mode."""
        reasked: dict[str, Any] = self.handlers.reask_handler(
            kwargs={**request, "messages": list(request["messages"])},
            response=response,
            exception=error,
        )
        return reasked


def _called_tool_name(response: Any) -> str | None:
    try:
        tool_calls = response.choices[0].message.tool_calls or []
    except (AttributeError, IndexError, TypeError):
        return None
    if not tool_calls:
        return None
    name = getattr(tool_calls[0].function, "name", None)
    return name if isinstance(name, str) else None

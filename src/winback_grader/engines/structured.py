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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .modes import StructuredMode

__all__ = [
    "ReplyFormat",
    "UnexpectedToolError",
    "describe_validation_error",
    "reply_parse_errors",
]

MAX_DESCRIBED_ERRORS = 2
"""Maximum number of a reply's field errors that a message lists. The rest are only counted."""

MAX_VALUE_CHARS = 80
"""Maximum length of a reply value quoted in a message, in characters of its repr."""


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


def describe_validation_error(
    error: ValidationError, *, redact: Callable[[str], str] | None = None
) -> str:
    """Describe a reply's first field errors as ``path: value is not valid (rule)``, one line.

    ``redact`` runs on each value's repr before it is shortened, so that a secret in the value
    is replaced whole and never left cut in half.
    """
    details = error.errors(include_url=False)
    described = [_describe_field_error(detail, redact) for detail in details[:MAX_DESCRIBED_ERRORS]]
    unlisted = len(details) - MAX_DESCRIBED_ERRORS
    if unlisted > 0:
        described.append(f"and {unlisted} more {'error' if unlisted == 1 else 'errors'}")
    return "; ".join(described)


def _describe_field_error(detail: ErrorDetails, redact: Callable[[str], str] | None) -> str:
    path = _field_path(detail["loc"]) or "reply"
    if detail["type"] == "missing":
        return f"{path}: missing ({detail['msg']})"
    value = repr(detail["input"])
    if redact is not None:
        value = redact(value)
    if len(value) > MAX_VALUE_CHARS:
        value = value[: MAX_VALUE_CHARS - 3] + "..."
    return f"{path}: {value} is not valid ({detail['msg']})"


def _field_path(location: tuple[int | str, ...]) -> str:
    """Format a pydantic error location as a path such as ``evidence[0].turn``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path

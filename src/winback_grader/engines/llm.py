"""The LLM engine: structured-output prompts through litellm and instructor, with verified evidence.

One ``grade`` call sends one prompt for the criteria it is given (one criterion, a section's or
the whole rubric's) and returns one grade per criterion. The steps: render the messages, look
up the cache, call the model (transport retries beneath instructor's schema re-asks), verify the
evidence quotes and re-ask once for quotes not found, then build the grades.

litellm and instructor are imported when an ``LLMEngine`` is constructed, never when the package
is imported: importing litellm 1.110 alone took 3.0 s of CPU on the 2-core development machine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ..config import GraderConfig
from ..errors import GradingError
from ..evidence import locate
from ..prompts import PROMPT_VERSION, PromptRenderer
from ..rubric import Criterion, Rubric
from ..scorecard import CriterionGrade, Evidence, Usage
from ..transcript import Transcript
from .base import EngineResult
from .cache_protocol import GradeCache
from .modes import resolve_mode
from .response_models import (
    NA_SCORE,
    criterion_field_name,
    criterion_reply_model,
    group_reply_model,
)
from .scrubbing import SecretScrubber
from .structured import ReplyFormat, describe_validation_error, reply_parse_errors
from .transport import (
    CallRecord,
    Completion,
    UnusableReplyError,
    first_line,
    raw_reply_text,
    send_with_retries,
)

__all__ = ["LLMEngine"]

logger = logging.getLogger(__name__)

DEFAULT_BACKOFF_BASE = 1.0
"""Seconds of the first exponential backoff wait after a transient failure (before jitter)."""


def _import_litellm() -> Any:
    # litellm downloads a model price map at import unless LITELLM_LOCAL_MODEL_COST_MAP is set.
    # A library must not reach the network on its own, so the bundled map is the default.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


@dataclass(frozen=True)
class _ReplySchema:
    """A reply model prepared once per criterion group, with what each call needs from it."""

    format: ReplyFormat
    """The reply model and its schema keywords for the engine's mode."""
    json_schema: dict[str, Any]
    """The reply model's JSON schema with aliases, as the cache key covers it."""


# The inputs of criterion_reply_model: a criterion with the same values gets the same model.
_ReplyModelKey = tuple[tuple[str, str, str, int, int, bool], ...]


def _reply_model_key(criteria: Sequence[Criterion]) -> _ReplyModelKey:
    return tuple(
        (c.id, c.name, c.scale.kind, c.scale.min, c.scale.max, c.na_allowed) for c in criteria
    )


class LLMEngine:
    """Grades criteria with a judge model reached through litellm.

    ``cache`` is None or an object with ``get(key) -> dict | None`` and ``set(key, value)``.
    ``completion`` is None (``litellm.acompletion``) or an async callable with the same
    signature, such as a litellm Router's ``acompletion``. ``on_close`` runs once when
    ``close()`` is called, for example to retire that Router.
    """

    name = "llm"

    def __init__(
        self,
        config: GraderConfig,
        *,
        cache: GradeCache | None = None,
        completion: Completion | None = None,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        litellm = _import_litellm()
        self.config = config
        self.cache = cache
        self.backoff_base = backoff_base
        self.mode = resolve_mode(config)
        self._completion: Completion = completion or litellm.acompletion
        self._options = self._request_options()
        self._parse_errors = reply_parse_errors()
        self._renderer = PromptRenderer(config.prompt_dir)
        # Read at creation, not at import, so that a key set after the import is hidden too.
        self._scrubber = SecretScrubber.from_config(config)
        # Building a pydantic model, its JSON schema and the request's schema keywords takes
        # milliseconds of CPU, and instructor 1.17 wraps every model it is given in a new
        # class, so memory grew with each call. One prepared reply per criterion group avoids
        # both.
        self._reply_schemas: dict[_ReplyModelKey, _ReplySchema] = {}
        self._on_close = on_close

    def close(self) -> None:
        """Run ``on_close`` once; the engine can still grade afterwards."""
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        """Grade the criteria in one model call; model failures become error grades."""
        criteria = list(criteria)
        label = "criteria=" + ",".join(criterion.id for criterion in criteria)
        record = CallRecord()

        # Render first: a template error is bad input and raises before any model call.
        messages = self._renderer.render_messages(transcript, rubric, criteria)
        reply_schema = self._reply_schema(criteria)
        reply_format = reply_schema.format
        key = self._cache_key(messages, reply_schema.json_schema) if self.cache is not None else ""

        cached = self._result_from_cache(key, reply_format.model, transcript, criteria)
        if cached is not None:
            return cached

        try:
            reply = await self._ask(messages, reply_format, record, label)
        except GradingError as error:
            raw = getattr(error, "raw_reply", None)
            return self._failed(transcript, criteria, str(error), raw, record)

        # Verify the quotes; re-ask once, listing the ones not found.
        evidence = self._verify(reply, criteria, transcript)
        missing = _unverified_quotes(evidence)
        rechecked = False
        if missing:
            rechecked = True
            reask = [
                *messages,
                {"role": "assistant", "content": reply.model_dump_json(by_alias=True)},
                {"role": "user", "content": _missing_quotes_message(missing)},
            ]
            try:
                reply = await self._ask(reask, reply_format, record, label + " (quote re-ask)")
                evidence = self._verify(reply, criteria, transcript)
            except GradingError as error:
                # Keep the first reply, with its quotes marked unverified.
                logger.warning("quote re-ask failed (%s): %s", label, self._scrub(str(error)))

        if self.cache is not None:
            stored = {
                "reply": reply.model_dump(mode="json", by_alias=True),
                "usage": record.usage.model_dump(),
                "rechecked": rechecked,
            }
            self.cache.set(key, stored)
        grades = self._grades(reply, criteria, evidence, rechecked=rechecked)
        return EngineResult(grades=grades, usage=record.usage)

    def cached_result(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult | None:
        """Return the criteria's grades from the cache, or None when it has none; sends nothing.

        ``transcript`` must be redacted already, as ``grade`` receives it.
        """
        if self.cache is None:
            return None
        criteria = list(criteria)
        messages = self._renderer.render_messages(transcript, rubric, criteria)
        reply_schema = self._reply_schema(criteria)
        key = self._cache_key(messages, reply_schema.json_schema)
        return self._result_from_cache(key, reply_schema.format.model, transcript, criteria)

    # -- steps ---------------------------------------------------------------------------------

    def _result_from_cache(
        self,
        key: str,
        reply_model: type[BaseModel],
        transcript: Transcript,
        criteria: Sequence[Criterion],
    ) -> EngineResult | None:
        cached_reply, rechecked = self._cached(key, reply_model)
        if cached_reply is None:
            return None
        evidence = self._verify(cached_reply, criteria, transcript)
        grades = self._grades(cached_reply, criteria, evidence, rechecked=rechecked)
        return EngineResult(grades=grades, usage=Usage(cached_calls=1))

    def _cached(self, key: str, reply_model: type[BaseModel]) -> tuple[BaseModel | None, bool]:
        """Return the cached reply and whether its quotes were re-asked, or (None, False)."""
        if self.cache is None:
            return None, False
        stored = self.cache.get(key)
        if stored is None:
            return None, False
        try:
            reply = reply_model.model_validate(stored["reply"])
        except (KeyError, TypeError, ValidationError) as error:
            # A damaged entry costs one model call, never the grade.
            logger.warning("ignoring an invalid cache entry %s: %s", key[:12], error)
            return None, False
        # Entries written before replies were scrubbed are still valid, so they are scrubbed here.
        return self._scrubber.scrub_reply(reply), bool(stored.get("rechecked", False))

    def _reply_schema(self, criteria: Sequence[Criterion]) -> _ReplySchema:
        """Return the criteria's reply model and schema, built on the first call only."""
        key = _reply_model_key(criteria)
        prepared = self._reply_schemas.get(key)
        if prepared is None:
            from instructor.v2.core.function_calls import response_schema

            if len(criteria) == 1:
                model = criterion_reply_model(criteria[0])
            else:
                model = group_reply_model(criteria)
            # instructor 1.17 passes a model that already subclasses its ResponseSchema through
            # unchanged, and caches the tool schema per class, so neither is rebuilt per call.
            prepared = _ReplySchema(
                format=ReplyFormat.prepare(response_schema(model), self.mode),
                json_schema=model.model_json_schema(by_alias=True),
            )
            self._reply_schemas[key] = prepared
        return prepared

    def _request_options(self) -> dict[str, Any]:
        """Keyword arguments of every request besides model, messages and the schema."""
        config = self.config
        options: dict[str, Any] = {
            **config.extra_body,
            "model": config.model,
            "temperature": config.temperature,
            "timeout": config.timeout,
            # The engine's transport is the only retry layer: litellm and the SDK must not retry.
            "num_retries": 0,
            "max_retries": 0,
            # A dropped response_format or tools parameter would mean free text; fail instead.
            "drop_params": False,
        }
        if config.max_tokens is not None:
            options["max_tokens"] = config.max_tokens
        if config.api_base is not None:
            options["api_base"] = config.api_base
        if config.api_key is not None:
            options["api_key"] = config.api_key.get_secret_value()
        return options

    async def _ask(
        self,
        messages: list[dict[str, str]],
        reply_format: ReplyFormat,
        record: CallRecord,
        label: str,
    ) -> BaseModel:
        """Send the messages and return the validated reply, re-asking when it does not fit.

        instructor's mode handler parses the reply and writes each re-ask; up to
        ``config.max_retries`` re-asks are sent. Transport failures raise GradingError.
        """
        request = {**self._options, **reply_format.request(messages)}
        attempts = self.config.max_retries + 1
        for attempt in range(1, attempts + 1):
            response = await send_with_retries(
                self._completion, request, record=record,
                transient_retries=self.config.transient_retries,
                backoff_base=self.backoff_base, label=label, scrub=self._scrub,
            )
            try:
                reply = reply_format.parse(response)
            except self._parse_errors as error:
                if attempt == attempts:
                    raise SchemaMismatchError(
                        f"the model's reply did not fit the response schema after {attempts} "
                        f"attempts: {self._error_detail(error)}",
                        raw_reply_text(response),
                    ) from error
                logger.info("model reply did not fit the schema (%s); re-asking", label)
                request = reply_format.reask(request, response, error)
            except Exception as error:
                # Any other failure to read the reply is this criterion's error, never an
                # exception out of grade().
                raise UnusableReplyError(
                    f"the model's reply could not be used: {self._error_detail(error)}",
                    raw_reply_text(response),
                ) from error
            else:
                # The reasoning and quotes go to the scorecard and the cache, and a model may
                # echo the key it was sent.
                return self._scrubber.scrub_reply(reply)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _verify(
        self, reply: BaseModel, criteria: Sequence[Criterion], transcript: Transcript
    ) -> dict[str, list[Evidence]]:
        return {
            criterion.id: [
                locate(quote.quote, transcript, quote.turn)
                for quote in _criterion_reply(reply, criteria, criterion).evidence
            ]
            for criterion in criteria
        }

    def _grades(
        self,
        reply: BaseModel,
        criteria: Sequence[Criterion],
        evidence: dict[str, list[Evidence]],
        *,
        rechecked: bool,
    ) -> list[CriterionGrade]:
        grades = []
        for criterion in criteria:
            answer = _criterion_reply(reply, criteria, criterion)
            quotes = evidence[criterion.id]
            reasoning = str(answer.reasoning)
            unverified = sum(1 for quote in quotes if not quote.verified)
            if unverified:
                asked = " after one re-ask" if rechecked else ""
                reasoning += (
                    f"\n[{unverified} of {len(quotes)} quotes could not be found in the "
                    f"transcript{asked} and are marked unverified.]"
                )
            if answer.score == NA_SCORE:
                grades.append(
                    CriterionGrade.not_applicable(
                        criterion, reasoning=reasoning, evidence=quotes, engine="llm"
                    )
                )
            else:
                grades.append(
                    CriterionGrade.scored(
                        criterion, float(answer.score), reasoning=reasoning, evidence=quotes,
                        engine="llm",
                    )
                )
        return grades

    def _failed(
        self,
        transcript: Transcript,
        criteria: Sequence[Criterion],
        message: str,
        raw_reply: str | None,
        record: CallRecord,
    ) -> EngineResult:
        # The raw reply is kept for debugging and may echo the key (an error page, a model
        # that repeats its prompt), so it is scrubbed like the message.
        message = self._scrub(message)
        if raw_reply is not None:
            raw_reply = self._scrub(raw_reply)
        ids = ",".join(criterion.id for criterion in criteria)
        logger.warning(
            "grading failed for transcript %s, criteria %s: %s", transcript.id, ids, message
        )
        grades = [
            CriterionGrade.failed(criterion, message, engine="llm", raw_reply=raw_reply)
            for criterion in criteria
        ]
        return EngineResult(grades=grades, usage=record.usage)

    def _error_detail(self, error: Exception) -> str:
        """Return the error's first line, without the API key, cut to 500 characters.

        A validation error's own first line only counts its errors, so its first field errors
        are described instead, with their paths, values and rules.
        """
        if isinstance(error, ValidationError):
            text = describe_validation_error(error, redact=self._scrub)
        else:
            text = str(error)
        return first_line(self._scrub(text), 500) or type(error).__name__

    def _scrub(self, text: str) -> str:
        return self._scrubber.scrub(text)

    # -- cache key -----------------------------------------------------------------------------

    def cache_key(self, messages: list[dict[str, str]], reply_model: type[BaseModel]) -> str:
        """Return the sha256 hex key of one request: what decides the reply, never the API key.

        The key covers the model, the rendered messages, the response schema, the sampling
        parameters (temperature, max_tokens, mode) and ``PROMPT_VERSION``.
        """
        return self._cache_key(messages, reply_model.model_json_schema(by_alias=True))

    def _cache_key(self, messages: list[dict[str, str]], json_schema: dict[str, Any]) -> str:
        payload = {
            "model": self.config.model,
            "messages": messages,
            "schema": json_schema,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "mode": self.mode,
            "prompt_version": PROMPT_VERSION,
        }
        encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


class SchemaMismatchError(GradingError):
    """The model's reply still did not fit the response schema after all re-asks."""

    def __init__(self, message: str, raw_reply: str | None) -> None:
        super().__init__(message)
        self.raw_reply = raw_reply


def _criterion_reply(reply: BaseModel, criteria: Sequence[Criterion], criterion: Criterion) -> Any:
    if len(criteria) == 1:
        return reply
    return getattr(reply, criterion_field_name(criterion))


def _unverified_quotes(evidence: dict[str, list[Evidence]]) -> list[Evidence]:
    return [quote for quotes in evidence.values() for quote in quotes if not quote.verified]


def _missing_quotes_message(missing: Sequence[Evidence]) -> str:
    listed = "\n".join(f"- {quote.quote!r}" for quote in missing)
    return (
        "These evidence quotes were not found in the transcript:\n"
        f"{listed}\n"
        "Evidence must be copied word for word from one turn (or two adjacent turns), at least "
        "a few words long, with the turn's number. Send the complete grade again: correct these "
        "quotes, or remove the ones the transcript does not contain, and keep the score only "
        "if the remaining evidence supports it."
    )

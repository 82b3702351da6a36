"""One model request with the engine's retry policy, usage accounting and log line.

This is the only retry layer for transport failures. Requests set ``num_retries=0`` and
``max_retries=0`` so that litellm and the provider SDK do not retry. The engine's schema
re-asks see only completed replies, so they follow replies that do not fit the schema, and a
429 is never added to the conversation as a failed attempt.

Retried, with exponential backoff and jitter, honouring Retry-After: rate limits, timeouts,
connection errors and 5xx replies. Raised at once, with what to do: authentication errors, bad
requests, context-window overflow, content-policy refusals, and a 5xx that rejects the
structured-output request itself (llama.cpp's server answers ``json_schema`` that way).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from ..errors import GradingError
from ..scorecard import Usage

__all__ = [
    "MAX_RETRY_AFTER_SECONDS",
    "CallRecord",
    "ModelCallError",
    "TruncatedReplyError",
    "UnusableReplyError",
    "first_line",
    "parse_retry_after",
    "send_with_retries",
]

logger = logging.getLogger("winback_grader.engines.llm")

MAX_RETRY_AFTER_SECONDS = 60.0
"""Maximum Retry-After wait honoured, in seconds; a longer request is cut to this."""

MAX_BACKOFF_SECONDS = 30.0
"""Maximum exponential backoff wait between two attempts, in seconds."""

TRUNCATION_MIN_TOKENS = 1024
"""The smallest ``max_tokens`` of the one retry after a reply cut off at the token limit."""

Completion = Callable[..., Awaitable[Any]]


class ModelCallError(GradingError):
    """A model request failed for good: the error was not transient or the retries ran out."""


class TruncatedReplyError(GradingError):
    """The reply was cut off at the token limit, also after one retry with a larger budget."""

    def __init__(self, message: str, raw_reply: str | None) -> None:
        super().__init__(message)
        self.raw_reply = raw_reply


class UnusableReplyError(GradingError):
    """The reply is empty, or calls several tools where one was expected."""

    def __init__(self, message: str, raw_reply: str | None) -> None:
        super().__init__(message)
        self.raw_reply = raw_reply


@dataclass
class CallRecord:
    """Cost of the requests of one grading call: attempts, tokens and money."""

    usage: Usage = field(default_factory=Usage)
    """Requests sent (retries included), tokens and cost."""
    transient_retries: int = 0
    """Requests repeated after a transient failure."""


# -- classifying errors ------------------------------------------------------------------------

_SCHEMA_REJECTION_WORDS = ("response_format", "json_schema", "grammar", "schema")
# litellm 1.110 maps only some providers' refusals to ContentPolicyViolationError; an OpenAI
# 400 with code "content_policy_violation" arrives as a plain BadRequestError.
_CONTENT_POLICY_WORDS = (
    "content_policy",
    "content policy",
    "content management policy",
    "safety system",
)


def _status_code(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    return status if isinstance(status, int) else None


def is_schema_rejection(error: BaseException) -> bool:
    """Return whether a 4xx/5xx reply rejects the structured-output request (server is up)."""
    status = _status_code(error)
    if status is None or status < 400:
        return False
    text = str(error).lower()
    return any(word in text for word in _SCHEMA_REJECTION_WORDS)


def is_missing_credentials(error: BaseException) -> bool:
    """Return whether the provider SDK found no API key before sending anything.

    openai 1.x raises this on the client side, and litellm 1.110 wraps it as an
    InternalServerError (status 500), which would otherwise look transient.
    """
    text = str(error).lower()
    return "missing credentials" in text or "api_key client option must be set" in text


def is_content_policy_refusal(error: BaseException) -> bool:
    """Return whether the provider rejected the request under its content policy."""
    from litellm import exceptions as provider_errors

    if isinstance(error, provider_errors.ContentPolicyViolationError):
        return True
    text = f"{getattr(error, 'code', '')} {error}".lower()
    return _status_code(error) == 400 and any(word in text for word in _CONTENT_POLICY_WORDS)


def is_transient(error: BaseException) -> bool:
    """Return whether a failed request may succeed when sent again (429, 5xx, timeout, reset)."""
    from litellm import exceptions as provider_errors

    if is_schema_rejection(error) or is_missing_credentials(error):
        return False
    if isinstance(
        error,
        (
            provider_errors.RateLimitError,
            provider_errors.Timeout,
            provider_errors.APIConnectionError,
            provider_errors.InternalServerError,
            provider_errors.ServiceUnavailableError,
            provider_errors.BadGatewayError,
        ),
    ):
        return True
    status = _status_code(error)
    return status is not None and (status == 429 or status >= 500)


def retry_after_seconds(error: BaseException) -> float | None:
    """Return the wait that a Retry-After (or retry-after-ms) header requests, in seconds."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return _capped_wait(float(milliseconds) / 1000)
        except ValueError:
            return None
    value = headers.get("retry-after")
    return parse_retry_after(value) if value is not None else None


def parse_retry_after(value: str, *, now: datetime | None = None) -> float | None:
    """Parse a Retry-After value into seconds to wait, capped at ``MAX_RETRY_AFTER_SECONDS``.

    RFC 9110 allows delay-seconds or an HTTP date, and a date in the past means no wait. ``now``
    (timezone-aware) defaults to the current time. Returns None for a value that is neither.
    """
    try:
        seconds: float | None = float(value)
    except ValueError:
        seconds = _seconds_until(value, now)
    return _capped_wait(seconds) if seconds is not None else None


def _seconds_until(http_date: str, now: datetime | None) -> float | None:
    try:
        date = parsedate_to_datetime(http_date)
    except ValueError:
        return None
    if date.tzinfo is None:
        # HTTP dates are always GMT, but "-0000" and asctime dates parse without a timezone.
        date = date.replace(tzinfo=timezone.utc)
    return (date - (now or datetime.now(timezone.utc))).total_seconds()


def _capped_wait(seconds: float) -> float | None:
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def describe_failure(error: BaseException, model: str, *, scrub: Callable[[str], str]) -> str:
    """Return a one-line message for a request that failed for good, saying what to do.

    ``scrub`` runs before the error text is cut to one line, so no part of a key is left.
    """
    from litellm import exceptions as provider_errors

    detail = first_line(scrub(str(error)))
    if isinstance(error, provider_errors.AuthenticationError) or is_missing_credentials(error):
        return (
            f"authentication failed for model {model!r}: {detail}; check the API key "
            "(api_key= or the provider's environment variable)"
        )
    if isinstance(error, provider_errors.ContextWindowExceededError):
        return (
            f"the prompt is longer than the context window of {model!r}: {detail}; use a model "
            "with a larger context window or grade a shorter transcript"
        )
    if is_content_policy_refusal(error):
        return (
            f"the provider refused the request under its content policy: {detail}; "
            "review the transcript text or use another model"
        )
    if is_schema_rejection(error):
        return (
            f"the server rejected the structured-output request: {detail}; set mode= to another "
            "of 'tools', 'json_schema' and 'json' for this server"
        )
    if isinstance(error, provider_errors.NotFoundError):
        return f"model {model!r} was not found: {detail}; check the model name and api_base"
    if isinstance(error, provider_errors.BadRequestError):
        return f"the request was rejected as invalid: {detail}; check the model name and options"
    if is_transient(error):
        return f"the model request failed after all retries: {detail}"
    return f"the model request failed: {type(error).__name__}: {detail}"


def first_line(text: str, limit: int = 300) -> str:
    """Return the first line of an error text, cut to ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


# -- inspecting replies ------------------------------------------------------------------------


def raw_reply_text(response: Any) -> str | None:
    """Return the text of a chat-completions reply: its tool-call arguments, else its content."""
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    tool_calls = getattr(message, "tool_calls", None) or []
    if tool_calls:
        return "\n".join(str(call.function.arguments) for call in tool_calls)
    content = getattr(message, "content", None)
    return content if isinstance(content, str) else None


def _check_reply(response: Any) -> None:
    if _finish_reason(response) == "content_filter":
        raise UnusableReplyError(
            "the provider's content filter stopped the reply; review the transcript text or "
            "use another model",
            raw_reply_text(response),
        )
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise UnusableReplyError("the model sent a reply without choices", None)
    message = choices[0].message
    refusal = getattr(message, "refusal", None)
    if refusal:
        raise UnusableReplyError(f"the model refused to grade: {first_line(str(refusal))}", None)
    tool_calls = getattr(message, "tool_calls", None) or []
    if len(tool_calls) > 1:
        names = ", ".join(str(call.function.name) for call in tool_calls)
        raise UnusableReplyError(
            f"the model called {len(tool_calls)} tools ({names}) where one grade was expected",
            raw_reply_text(response),
        )
    if not tool_calls and not (message.content or "").strip():
        raise UnusableReplyError("the model sent an empty reply", None)


def _finish_reason(response: Any) -> str | None:
    try:
        reason = response.choices[0].finish_reason
    except (AttributeError, IndexError, TypeError):
        return None
    return reason if isinstance(reason, str) else None


def _is_truncated(response: Any, max_tokens: object) -> bool:
    """Return whether the reply was cut off at the token limit.

    llama-cpp-python 0.3.36 reports finish_reason "tool_calls" for a tool call cut off at
    max_tokens, so a reply that used the whole budget also counts as truncated.
    """
    if _finish_reason(response) == "length":
        return True
    if not isinstance(max_tokens, int):
        return False
    usage = getattr(response, "usage", None)
    completion_tokens = getattr(usage, "completion_tokens", None)
    return isinstance(completion_tokens, int) and completion_tokens >= max_tokens


# -- usage -------------------------------------------------------------------------------------


def reply_cost(response: Any) -> float | None:
    """Return the reply's cost in USD, or None when litellm has no price for the model.

    litellm 1.110 prices every reply once while logging it and stores the figure (None when
    unpriced) under ``_hidden_params["response_cost"]``, so that figure is reused. Only a reply
    without it, such as one from a custom ``completion`` callable, is priced here.
    """
    import litellm

    hidden = getattr(response, "_hidden_params", None)
    if isinstance(hidden, Mapping) and "response_cost" in hidden:
        stored = hidden["response_cost"]
        return float(stored) if isinstance(stored, (int, float)) else None
    try:
        return float(litellm.completion_cost(completion_response=response))
    except Exception:  # litellm raises several types for a model it has no price for
        return None


def _add_usage(record: CallRecord, response: Any) -> tuple[int, int]:
    usage = getattr(response, "usage", None)
    prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    cost = reply_cost(response)
    record.usage = record.usage + Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost,
        unpriced_calls=1 if cost is None else 0,
    )
    return prompt_tokens, completion_tokens


# -- sending -----------------------------------------------------------------------------------


def _wait_strategy(backoff_base: float) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(multiplier=backoff_base, max=MAX_BACKOFF_SECONDS)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        requested = retry_after_seconds(error) if error is not None else None
        return requested if requested is not None else float(backoff(state))

    return wait


async def send_with_retries(
    completion: Completion,
    kwargs: dict[str, Any],
    *,
    record: CallRecord,
    transient_retries: int,
    backoff_base: float,
    label: str,
    scrub: Callable[[str], str],
) -> Any:
    """Send one chat-completions request, retrying transient failures; return the reply.

    ``record`` collects the requests, tokens and cost. ``scrub`` removes the API key from the
    error text of each retry's log line. A reply cut off at the token limit is
    sent once more with a larger ``max_tokens``. Raises ``ModelCallError``,
    ``TruncatedReplyError`` or ``UnusableReplyError`` when no usable reply came back.
    """
    started = time.monotonic()
    retries_before = record.transient_retries
    response = await _send_transient_safe(
        completion, kwargs, record=record, transient_retries=transient_retries,
        backoff_base=backoff_base, scrub=scrub,
    )
    prompt_tokens, completion_tokens = _add_usage(record, response)

    if _is_truncated(response, kwargs.get("max_tokens")):
        # One retry with twice the budget that ran out (the provider's default when max_tokens
        # is unset): a grade that does not fit twice is reported, not retried again.
        previous = kwargs.get("max_tokens")
        larger = max(2 * int(previous or completion_tokens), TRUNCATION_MIN_TOKENS)
        logger.info(
            "model reply truncated at max_tokens=%s (%s); retrying once with max_tokens=%d",
            previous, label, larger,
        )
        response = await _send_transient_safe(
            completion, {**kwargs, "max_tokens": larger}, record=record,
            transient_retries=transient_retries, backoff_base=backoff_base, scrub=scrub,
        )
        prompt_tokens, completion_tokens = _add_usage(record, response)
        if _is_truncated(response, larger):
            raise TruncatedReplyError(
                f"the reply was cut off at the token limit twice (last max_tokens={larger}); "
                "raise max_tokens",
                raw_reply_text(response),
            )

    logger.info(
        "model call: model=%s %s prompt_tokens=%d completion_tokens=%d latency=%.2fs retries=%d",
        kwargs.get("model"), label, prompt_tokens, completion_tokens,
        time.monotonic() - started, record.transient_retries - retries_before,
    )
    _check_reply(response)
    return response


async def _send_transient_safe(
    completion: Completion,
    kwargs: dict[str, Any],
    *,
    record: CallRecord,
    transient_retries: int,
    backoff_base: float,
    scrub: Callable[[str], str],
) -> Any:
    # Most requests succeed at once, so the first attempt is sent without tenacity: its
    # per-request state cost about 0.2 ms of CPU per call in a py-spy profile of 3,000 calls.
    record.usage = record.usage + Usage(calls=1)
    try:
        return await completion(**kwargs)
    except GradingError:
        raise
    except Exception as error:
        if transient_retries <= 0 or not is_transient(error):
            raise ModelCallError(
                describe_failure(error, str(kwargs.get("model")), scrub=scrub)
            ) from error
        first_failure = error

    # A fresh AsyncRetrying per request: concurrent requests never share an attempt counter.
    # Its first attempt re-raises the failure above, so tenacity decides the wait before the
    # first retry (Retry-After or backoff) as it does for the later ones.
    retrying = AsyncRetrying(
        stop=stop_after_attempt(transient_retries + 1),
        wait=_wait_strategy(backoff_base),
        retry=retry_if_exception(is_transient),
        reraise=True,
        before_sleep=_retry_logger(scrub),
    )
    try:
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number == 1:
                    raise first_failure
                record.transient_retries += 1
                record.usage = record.usage + Usage(calls=1)
                return await completion(**kwargs)
    except GradingError:
        raise
    except Exception as error:
        raise ModelCallError(
            describe_failure(error, str(kwargs.get("model")), scrub=scrub)
        ) from error
    raise AssertionError("unreachable: AsyncRetrying either returns or raises")


def _retry_logger(scrub: Callable[[str], str]) -> Callable[[RetryCallState], None]:
    # The error text can echo the request's Authorization header, so it is scrubbed first.
    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        logger.info(
            "model request failed (attempt %d): %s; retrying in %.2fs",
            state.attempt_number, first_line(scrub(str(error))), wait,
        )

    return log_retry

"""Estimate a batch run before sending anything: model calls, tokens and cost.

Prompts are rendered exactly as the LLM engine renders them (after redaction) and counted with
``litellm.token_counter``, together with the response schema that goes with them as a tool.
The cost comes from litellm's price table. Completion tokens depend on the model's replies, so
they are estimated only from an earlier run of the same setup: the mean completion tokens per
request of the scorecards in its results file. Schema re-asks and transport retries are not
known in advance, so the estimate leaves them out. Cache hits are not subtracted either, so
with a warm cache the run sends fewer calls than estimated.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .config import OFFLINE_MODEL, GraderConfig
from .engines.response_models import criterion_reply_model, group_reply_model
from .grading import plan_calls, resolve_transcript
from .prompts import PromptRenderer
from .redaction import redact_transcript
from .rubric import Criterion, Rubric
from .transcript import Transcript

__all__ = ["RunEstimate", "estimate_run", "has_price"]


@dataclass
class RunEstimate:
    """The calls and prompt tokens a run would send to the judge model, counted in advance."""

    model: str
    """The litellm model string the estimate is for."""
    transcripts: int = 0
    """Transcripts counted."""
    calls: int = 0
    """Model calls, one per transcript and criterion group, before any retry or cache hit."""
    prompt_tokens: int = 0
    """Prompt tokens of those calls by litellm's token counter, response schemas included."""
    prompt_cost_usd: float | None = None
    """Cost of the prompt tokens by litellm's price table; None when the model has no price."""
    completion_tokens: int | None = None
    """Completion tokens at the mean per request of an earlier run; None without one."""
    completion_cost_usd: float | None = None
    """Cost of ``completion_tokens``; None when they or the model's price are unknown."""
    completion_basis: str = ""
    """The source of the completion estimate, such as ``"40 request(s) in results.jsonl"``."""

    def summary(self) -> str:
        """Return the dry-run line the command line prints."""
        if self.model == OFFLINE_MODEL:
            return (
                f"dry run: {self.transcripts} transcript(s) for the offline phrase engine, which "
                "sends no model calls and costs nothing; nothing was graded"
            )
        calls = (
            f"dry run: {self.transcripts} transcript(s), {self.calls} model call(s) to "
            f"{self.model}"
        )
        if self.completion_tokens is None:
            if self.prompt_cost_usd is None:
                cost = f"prompt cost unknown (litellm has no price for {self.model!r})"
            else:
                cost = f"estimated prompt cost ${self.prompt_cost_usd:.4f}"
            return (
                f"{calls}, about {self.prompt_tokens} prompt tokens, {cost}; completion tokens, "
                "retries and cache hits are not included; nothing was sent"
            )

        if self.cost_usd is None:
            cost = f"cost unknown (litellm has no price for {self.model!r})"
        else:
            cost = f"estimated cost ${self.cost_usd:.4f}"
        return (
            f"{calls}, about {self.prompt_tokens} prompt tokens and {self.completion_tokens} "
            f"completion tokens (at the mean per request of {self.completion_basis}), {cost}; "
            "retries and cache hits are not included; nothing was sent"
        )

    @property
    def cost_usd(self) -> float | None:
        """Estimated prompt cost, plus the completion cost when estimated; None without a price."""
        if self.prompt_cost_usd is None:
            return None
        return self.prompt_cost_usd + (self.completion_cost_usd or 0.0)

    def add_completion_estimate(self, completion_per_request: float, basis: str) -> None:
        """Estimate the completion tokens and their cost at ``completion_per_request`` per call.

        ``basis`` names the source of the mean in the summary.
        """
        self.completion_tokens = round(self.calls * completion_per_request)
        self.completion_basis = basis
        self.completion_cost_usd = _token_cost(self.model, completion_tokens=self.completion_tokens)


def estimate_run(
    transcripts: Iterable[Transcript | str | os.PathLike[str]], rubric: Rubric, config: GraderConfig
) -> RunEstimate:
    """Count the calls and prompt tokens that grading these transcripts would send."""
    estimate = RunEstimate(model=config.model)
    if config.is_offline:
        estimate.transcripts = sum(1 for _ in transcripts)
        estimate.prompt_cost_usd = 0.0
        return estimate

    litellm = _import_litellm()

    renderer = PromptRenderer(config.prompt_dir)
    groups = [criteria for engine, criteria in plan_calls(rubric, config) if engine == "llm"]
    tools = [_schema_tool(criteria) for criteria in groups]

    for source in transcripts:
        transcript = resolve_transcript(source)
        estimate.transcripts += 1
        if config.redact:
            transcript = redact_transcript(transcript)
        # Calls that cannot be graded (one speaker, too few turns) send nothing.
        if transcript.ungradable_reason() is not None:
            continue
        for criteria, tool in zip(groups, tools, strict=True):
            messages = renderer.render_messages(transcript, rubric, criteria)
            estimate.calls += 1
            estimate.prompt_tokens += litellm.token_counter(
                model=config.model, messages=messages, tools=[tool]
            )

    estimate.prompt_cost_usd = _prompt_cost(config.model, estimate.prompt_tokens)
    return estimate


def _schema_tool(criteria: list[Criterion]) -> Any:
    if len(criteria) == 1:
        reply_model = criterion_reply_model(criteria[0])
    else:
        reply_model = group_reply_model(criteria)
    return {
        "type": "function",
        "function": {
            "name": reply_model.__name__,
            "parameters": reply_model.model_json_schema(by_alias=True),
        },
    }


def has_price(model: str) -> bool:
    """Return whether litellm's price table has a price for this model's prompt tokens."""
    return _prompt_cost(model, 1000) is not None


def _import_litellm() -> Any:
    # litellm downloads a model price map at import unless LITELLM_LOCAL_MODEL_COST_MAP is set,
    # and a dry run must send nothing, so the bundled map is used.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm  # imported late: the package import must stay light

    return litellm


def _prompt_cost(model: str, prompt_tokens: int) -> float | None:
    return _token_cost(model, prompt_tokens=prompt_tokens)


def _token_cost(model: str, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> float | None:
    """Return the cost of these tokens by litellm's price table, or None without a price."""
    litellm = _import_litellm()

    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
    # litellm raises several exception types for a model missing from its price table.
    except Exception:
        return None
    return float(prompt_cost) + float(completion_cost)

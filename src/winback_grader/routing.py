"""Provider rate limits and fallback models through litellm's Router.

Without ``rpm``, ``tpm`` or ``fallbacks`` the LLM engine calls ``litellm.acompletion`` itself
and no Router is built.

NOTE: litellm 1.110's Router changes process-wide state when it is built. It adds its rate-limit
check to ``litellm.callbacks`` and registers its deployments in ``litellm.model_cost``, which
can change the structured-output mode that ``mode="auto"`` picks for the same model string
later. Each ``grade()`` call with rpm, tpm or fallbacks builds a new Router, so those
callbacks pile up over many calls; a batch run builds one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .config import GraderConfig

__all__ = ["Completion", "build_completion", "build_router"]

Completion = Callable[..., Awaitable[Any]]
"""An async callable with ``litellm.acompletion``'s signature."""


def build_completion(config: GraderConfig) -> Completion | None:
    """Return a Router's ``acompletion`` when the config sets rpm, tpm or fallbacks, else None."""
    if config.is_offline or (config.rpm is None and config.tpm is None and not config.fallbacks):
        return None
    router = build_router(config)
    completion: Completion = router.acompletion
    return completion


def build_router(config: GraderConfig) -> Any:
    """Build a litellm Router with one deployment per model: the judge model, then the fallbacks.

    Each deployment's model group is named after its litellm model string, so the engine's
    ``model=config.model`` selects the judge model and the Router falls back in order.
    """
    from litellm.router import Router  # imported late: it pulls in litellm

    # Every deployment shares the connection options; the limits apply to each deployment.
    shared: dict[str, Any] = {}
    if config.api_base is not None:
        shared["api_base"] = config.api_base
    if config.api_key is not None:
        shared["api_key"] = config.api_key.get_secret_value()
    if config.rpm is not None:
        shared["rpm"] = config.rpm
    if config.tpm is not None:
        shared["tpm"] = config.tpm

    models = [config.model, *(m for m in config.fallbacks if m != config.model)]
    model_list = [
        {"model_name": model, "litellm_params": {"model": model, **shared}} for model in models
    ]
    fallbacks = [{config.model: models[1:]}] if len(models) > 1 else []

    return Router(
        model_list=model_list,
        fallbacks=fallbacks,
        # The engine owns the retry budget (transient_retries); Router retries would multiply it.
        num_retries=0,
        # One 429 would otherwise put the only deployment in cooldown and fail every call queued
        # behind it; the engine's backoff honours Retry-After instead.
        disable_cooldowns=True,
        # Over its rpm/tpm a deployment raises litellm.RateLimitError before any request is sent;
        # the engine retries that like a provider's 429.
        optional_pre_call_checks=["enforce_model_rate_limits"],
        timeout=config.timeout,
    )

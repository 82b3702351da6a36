"""Provider rate limits and fallback models through litellm's Router.

Without ``rpm``, ``tpm`` or ``fallbacks`` the LLM engine calls ``litellm.acompletion`` itself
and no Router is built.

litellm 1.110's Router changes process-wide state when it is built. It adds its rate-limit
check to ``litellm.callbacks`` and registers its deployments in ``litellm.model_cost``, which
can change the structured-output mode that ``mode="auto"`` picks for the same model string
later. So a Router lives for one ``grade()`` call or one batch run: ``RouterLease.release``
retires it at the end, which removes its callback, and removes the ``model_cost`` entries that
building it added.

NOTE: two runs with rate limits that overlap in time share one deployment entry in
``litellm.model_cost`` when their deployments are equal. The run that ends first removes the
entry while the other still routes through its Router, and later price lookups by that
deployment's id then fall back to the model string's price.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .config import GraderConfig

__all__ = ["Completion", "RouterLease", "build_completion", "build_router", "needs_router"]

Completion = Callable[..., Awaitable[Any]]
"""An async callable with ``litellm.acompletion``'s signature."""


class RouterLease:
    """A Router built for one grading run, and the undoing of its process-wide registrations."""

    def __init__(self, config: GraderConfig) -> None:
        import litellm

        known_models = set(litellm.model_cost)
        self.router: Any = build_router(config)
        """The litellm Router."""
        self.completion: Completion = self.router.acompletion
        """The Router's ``acompletion``, which the LLM engine calls in place of litellm's."""
        self._added_models = set(litellm.model_cost) - known_models
        self._released = False

    def release(self) -> None:
        """Retire the Router and remove the ``litellm.model_cost`` entries it added.

        A second call does nothing.
        """
        if self._released:
            return
        self._released = True
        import litellm
        import litellm.utils

        # Router.retire() in litellm 1.110 unregisters the Router's callbacks. All live Routers
        # share one rate-limit check, which leaves litellm.callbacks when the last one retires.
        self.router.retire()
        for model in self._added_models:
            litellm.model_cost.pop(model, None)
        # litellm 1.110 memoises model lookups, so the memo would still return removed entries.
        for memo_name in ("_cached_get_model_info", "_cached_get_model_info_helper"):
            memo = getattr(litellm.utils, memo_name, None)
            if memo is not None and hasattr(memo, "cache_clear"):
                memo.cache_clear()


def needs_router(config: GraderConfig) -> bool:
    """Return whether the config sets rpm, tpm or fallbacks, which litellm's Router enforces."""
    if config.is_offline:
        return False
    return config.rpm is not None or config.tpm is not None or bool(config.fallbacks)


def build_completion(config: GraderConfig) -> Completion | None:
    """Return a Router's ``acompletion`` when the config sets rpm, tpm or fallbacks, else None.

    The Router is never retired, so its registrations stay in litellm for the rest of the
    process. The grading core uses ``RouterLease`` instead.
    """
    if not needs_router(config):
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

"""Check a litellm model string before any model call, so a typo fails as bad usage."""

from __future__ import annotations

import os

from .errors import ConfigError

__all__ = ["check_model_string"]

MODEL_STRING_EXAMPLES = (
    "'openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest', 'ollama/llama3.1'"
)


def check_model_string(model: str, option: str = "model") -> None:
    """Raise ConfigError when litellm cannot determine the provider of ``model``.

    ``option`` names the setting in the message ("model", "fallbacks[0]"). The check sends
    nothing: litellm's ``get_llm_provider`` reads the provider prefix or its bundled model list.
    """
    # litellm downloads a model price map at import unless LITELLM_LOCAL_MODEL_COST_MAP is set,
    # and a check that sends nothing must not reach the network either.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm  # imported late: only a configured model needs it

    # Without this litellm prints a provider-list banner to stdout on every failed lookup.
    litellm.suppress_debug_info = True
    fix = (
        f"write it as provider/name, such as {MODEL_STRING_EXAMPLES}, "
        "or use 'offline' for the phrase engine"
    )
    try:
        name, provider, _, _ = litellm.get_llm_provider(model)
    # litellm raises BadRequestError for an unknown provider, and other types for odd input.
    except Exception:
        raise ConfigError(
            f"invalid {option} {model!r}: litellm cannot determine its provider; {fix}"
        ) from None
    if not name:
        raise ConfigError(
            f"invalid {option} {model!r}: the model name after {provider}/ is missing; {fix}"
        )

"""Check the judge model string and its API key before any model call, so mistakes fail early."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import ConfigError

__all__ = ["check_api_key", "check_model_string"]

MODEL_STRING_EXAMPLES = (
    "'openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest', 'ollama/llama3.1'"
)


# Environment variables that litellm 1.110's openai provider reads for the API key.
OPENAI_KEY_VARIABLES = ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY")


def check_model_string(model: str, option: str = "model") -> str:
    """Return litellm's provider name for ``model``; raise ConfigError when it has none.

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
    return str(provider)


def check_api_key(model: str, *, api_key_given: bool, environ: Mapping[str, str]) -> None:
    """Raise ConfigError when an OpenAI-provider model has no API key to send.

    Without a key litellm fails every call before sending it, with an error that looks
    transient, so each criterion would be retried for seconds and then end in error. Other
    providers are not checked, because they also read keys from files (AWS profiles, gcloud).

    NOTE: only the command line calls this; ``grade()`` without a key still retries each call.
    """
    if api_key_given or check_model_string(model) != "openai":
        return
    if any(environ.get(name) for name in OPENAI_KEY_VARIABLES):
        return
    raise ConfigError(
        f"missing API key for model {model!r}: set OPENAI_API_KEY (api_key= in Python); a local "
        "OpenAI-compatible server that needs no key accepts any value, such as OPENAI_API_KEY=none"
    )

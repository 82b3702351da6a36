"""Choose the structured-output mode of a judge model: tools, JSON schema or JSON."""

from __future__ import annotations

from typing import Literal

from ..config import GraderConfig

__all__ = ["StructuredMode", "resolve_mode"]

StructuredMode = Literal["tools", "json_schema", "json"]


def resolve_mode(config: GraderConfig) -> StructuredMode:
    """Return ``config.mode`` when forced, else the mode litellm reports the model supports.

    Order in auto mode: tools (function calling), then JSON schema, then plain JSON with the
    schema in the prompt. A model missing from litellm's model map (any ``openai/<name>`` on a
    local server, for example) gets tools: llama.cpp, vLLM and Ollama accept tools, while
    llama.cpp's server answers a ``json_schema`` response_format with HTTP 500.
    Every mode sends the schema; none falls back to free text.
    """
    if config.mode != "auto":
        return config.mode

    import litellm

    model = config.model
    if litellm.supports_function_calling(model):
        return "tools"
    if litellm.supports_response_schema(model):
        return "json_schema"
    if not _known_to_litellm(model):
        # NOTE: a guess for models litellm has no entry for; set mode= when a server rejects tools.
        return "tools"
    return "json"


def _known_to_litellm(model: str) -> bool:
    import litellm

    try:
        litellm.get_model_info(model)
    except Exception:  # litellm raises a bare Exception for a model it has no entry for
        return False
    return True

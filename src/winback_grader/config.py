"""GraderConfig: every grading option in one validated object; the environment is read only here."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from .errors import ConfigError

__all__ = ["OFFLINE_MODEL", "GraderConfig", "ModeSetting"]

OFFLINE_MODEL = "offline"
MODEL_ENV_VAR = "WINBACK_GRADER_MODEL"

ModeSetting = Literal["auto", "tools", "json_schema", "json"]
"""The values ``GraderConfig.mode`` accepts. The command line's ``--mode`` offers the same ones."""


class GraderConfig(BaseModel):
    """Options of one grading run. Build it with ``GraderConfig.from_options(model, **options)``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = OFFLINE_MODEL
    """The litellm model string of the judge model, or ``"offline"`` for the phrase engine."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible server (vLLM, llama.cpp, Ollama ...)."""
    api_key: SecretStr | None = None
    """API key; by default litellm reads the provider's usual environment variable."""
    temperature: float = Field(default=0.0, ge=0, le=2)
    """Sampling temperature of the judge model."""
    max_retries: int = Field(default=2, ge=0)
    """Re-asks after a reply that does not fit the response schema (N re-asks = N + 1 attempts)."""
    transient_retries: int = Field(default=4, ge=0)
    """Retries after rate limits, timeouts, connection errors and 5xx replies."""
    timeout: float = Field(default=60.0, gt=0)
    """Seconds one model call may take."""
    max_tokens: int | None = Field(default=None, gt=0)
    """Completion token limit of each model call; None leaves the provider's default."""
    mode: ModeSetting = "auto"
    """Structured-output mode; ``"auto"`` follows what litellm reports the model supports."""
    prompt_dir: Path | None = None
    """A folder of prompt templates that replaces the shipped ``prompts/``."""
    redact: bool = True
    """Replace card numbers, emails, phone numbers and announced secrets before any model call."""
    cache: bool = True
    """Reuse grades from the on-disk cache and store new ones there."""
    cache_dir: Path | None = None
    """The cache folder; default ``$WINBACK_GRADER_CACHE_DIR`` or the user cache folder."""
    strategy: Literal["criterion", "section", "rubric"] = "criterion"
    """How many criteria one model call grades: one, one section's, or the whole rubric's."""
    concurrency: int = Field(default=8, ge=1)
    """Model calls in flight at once."""
    max_cost_usd: float | None = Field(default=None, ge=0)
    """US dollars after which no new model call starts; calls in flight count toward it."""
    rpm: int | None = Field(default=None, gt=0)
    """Requests per minute allowed to the judge model; enforced by litellm's Router."""
    tpm: int | None = Field(default=None, gt=0)
    """Tokens per minute allowed to the judge model; enforced by litellm's Router."""
    fallbacks: list[str] = Field(default_factory=list)
    """litellm model strings tried in order when the judge model fails, through litellm's Router."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Extra keyword arguments passed to ``litellm.acompletion`` as they are."""

    @property
    def is_offline(self) -> bool:
        """Whether no judge model is configured, so the offline phrase engine grades everything."""
        return self.model == OFFLINE_MODEL

    @classmethod
    def from_options(
        cls, model: str | None = None, environ: Mapping[str, str] | None = None, **options: Any
    ) -> GraderConfig:
        """Build the config from ``grade()``'s keyword arguments and the environment.

        ``model=None`` takes ``$WINBACK_GRADER_MODEL``, else ``"offline"``.
        """
        env = os.environ if environ is None else environ
        # Error messages name where the model string came from, so a stale variable is found.
        model_source = "model"
        if model is None:
            model = env.get(MODEL_ENV_VAR) or OFFLINE_MODEL
            model_source = f"${MODEL_ENV_VAR}"
        if options.get("cache_dir") is None and env.get("WINBACK_GRADER_CACHE_DIR"):
            options["cache_dir"] = env["WINBACK_GRADER_CACHE_DIR"]

        unknown = sorted(set(options) - set(cls.model_fields) - {"model"})
        if unknown:
            raise ConfigError(_unknown_options_message(unknown, sorted(cls.model_fields)))
        try:
            config = cls(model=model, **options)
        except ValidationError as exc:
            raise ConfigError(_validation_message(exc)) from None

        # A model string litellm cannot route would fail on every criterion's call, so it is
        # rejected here, before any model call.
        if not config.is_offline:
            from .model_check import check_model_string  # imported late: it pulls in litellm

            check_model_string(config.model, model_source)
            for index, fallback in enumerate(config.fallbacks):
                check_model_string(fallback, f"fallbacks[{index}]")
        return config


def _unknown_options_message(unknown: list[str], known: list[str]) -> str:
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    return f"unknown grading option {', '.join(parts)}; valid options: {', '.join(known)}"


def _validation_message(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        value = "<hidden>" if field == "api_key" else repr(error.get("input"))
        lines.append(f"invalid option {field}={value}: {error['msg']}")
    return "; ".join(lines)

"""Removal of API keys from text that leaves the LLM engine.

An error page or a model can echo the request's Authorization header, so error grades, raw
replies, log lines, the reply's reasoning and the grade cache all pass through one
``SecretScrubber`` built when the engine is created.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..config import GraderConfig

__all__ = ["PLACEHOLDER", "SecretScrubber"]

PLACEHOLDER = "<api key>"
"""The text that replaces each secret."""

MIN_SECRET_LENGTH = 8
"""Shorter values of credential variables are not treated as secrets.

Such a variable may hold a short flag or name, and replacing such a word everywhere would garble
the reasoning. Provider keys are far longer.
"""

MIN_API_KEY_LENGTH = 6
"""Shorter values of ``api_key=`` are not treated as secrets.

Local servers take dummy keys such as "none" or "EMPTY", which are ordinary words in a reply.
"""

# litellm reads provider keys from variables such as OPENAI_API_KEY, AZURE_AD_TOKEN and
# AWS_SECRET_ACCESS_KEY, so every variable named like a credential counts as a secret.
_SECRET_NAME_SUFFIXES = ("_KEY", "_TOKEN", "_SECRET")

# An Authorization header value: RFC 6750 allows these characters in a bearer token. The token
# must be 8 or more characters with a digit, so prose such as "the bearer of bad news" stays.
_BEARER_TOKEN = re.compile(
    r"\b(Bearer\s+)(?=[A-Za-z\-._~+/]*[0-9])[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE
)


@dataclass(frozen=True)
class SecretScrubber:
    """The secrets a request may carry, replaced by ``PLACEHOLDER`` in any text given to it."""

    secrets: tuple[str, ...] = ()
    """The secret values, longest first, so that a key containing another is replaced whole."""

    @classmethod
    def from_config(
        cls, config: GraderConfig, environ: Mapping[str, str] | None = None
    ) -> SecretScrubber:
        """Build a scrubber for ``config.api_key`` and the credential variables of ``environ``.

        ``environ`` defaults to ``os.environ``, read at this call.

        NOTE: a credential variable whose value also occurs in ordinary text, such as a path,
        is replaced in that text as well.
        """
        key = config.api_key.get_secret_value() if config.api_key is not None else None
        return cls.from_key(key, environ)

    @classmethod
    def from_key(
        cls, api_key: str | None, environ: Mapping[str, str] | None = None
    ) -> SecretScrubber:
        """Build a scrubber for ``api_key`` and the credential variables of ``environ``."""
        env = os.environ if environ is None else environ
        found = {
            value
            for name, value in env.items()
            if _is_credential_variable(name) and len(value) >= MIN_SECRET_LENGTH
        }
        if api_key is not None and len(api_key) >= MIN_API_KEY_LENGTH:
            found.add(api_key)
        return cls(tuple(sorted(found, key=len, reverse=True)))

    def scrub(self, text: str) -> str:
        """Return the text with every secret and every bearer token replaced."""
        for secret in self.secrets:
            text = text.replace(secret, PLACEHOLDER)
        return _BEARER_TOKEN.sub(r"\1" + PLACEHOLDER, text)

    def scrub_reply(self, reply: BaseModel) -> BaseModel:
        """Return the reply with its strings (reasoning, quotes) scrubbed.

        The reply itself is returned when it contains no secret, which is the usual case.
        """
        data = reply.model_dump(mode="json", by_alias=True)
        scrubbed = self._scrub_values(data)
        if scrubbed == data:
            return reply
        return type(reply).model_validate(scrubbed)

    def _scrub_values(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self._scrub_values(item) for item in value]
        if isinstance(value, dict):
            return {key: self._scrub_values(item) for key, item in value.items()}
        return value


def _is_credential_variable(name: str) -> bool:
    return name.upper().endswith(_SECRET_NAME_SUFFIXES)

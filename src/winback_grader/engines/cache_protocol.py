"""The interface the LLM engine expects of a grade cache."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["GradeCache"]


class GradeCache(Protocol):
    """A key-value store of validated model replies, keyed by a sha256 hex string."""

    def get(self, key: str) -> dict[str, Any] | None:
        """Return the stored value, or None when the key is absent."""

    def set(self, key: str, value: dict[str, Any]) -> None:
        """Store a JSON-able value under the key."""

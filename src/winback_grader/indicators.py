"""Phrase indicators: what the offline phrase engine looks for to score a criterion.

NOTE: placeholder model; the offline engine defines the real format.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Indicators"]


class Indicators(BaseModel):
    """Phrase indicators of one criterion."""

    model_config = ConfigDict(extra="allow", frozen=True)

"""The base for the pydantic schemas the JSON readers validate their input with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Schema"]


class Schema(BaseModel):
    """A JSON object from a STT tool; unknown keys are ignored, NaN and infinity rejected."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, frozen=True)

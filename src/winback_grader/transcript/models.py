"""Transcript and Turn: one call as speaker turns plus call metadata."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["agent", "customer", "unknown"]

__all__ = ["Role", "Transcript", "Turn"]


class Turn(BaseModel):
    """One stretch of speech by one speaker."""

    model_config = ConfigDict(frozen=True)

    speaker: str
    """The speaker label as the source gives it (``"spk_0"``, ``"Agent Dana"``, ``"Speaker 1"``)."""
    role: Role = "unknown"
    """The speaker's part in the call: ``"agent"``, ``"customer"`` or ``"unknown"``."""
    text: str
    """The spoken words, as one string."""
    start: float | None = None
    """Seconds from the start of the call, when the source has times."""
    end: float | None = None
    """Seconds from the start of the call, when the source has times."""


class Transcript(BaseModel):
    """One call: its turns in order and its metadata."""

    id: str
    """The call id: ``call_id`` from the metadata, else the file's stem."""
    turns: list[Turn]
    """The turns in the order they were spoken."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Call metadata: call_id, agent_id, team, started_at, duration, outcome, csat, other keys."""

    def ungradable_reason(self) -> str | None:
        """Return why this call cannot be graded (a voicemail, one speaker), or None when it can."""
        if len(self.turns) < 2:
            return f"the transcript has {len(self.turns)} turn(s); grading needs at least 2"
        speakers = {turn.speaker for turn in self.turns}
        if len(speakers) < 2:
            return "only one speaker talks (a voicemail or a one-sided recording)"
        return None

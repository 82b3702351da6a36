"""Transcripts: the models and ``load_transcript`` with one reader per input format."""

from __future__ import annotations

from .loading import load_transcript
from .models import Role, Transcript, Turn

__all__ = ["Role", "Transcript", "Turn", "load_transcript"]

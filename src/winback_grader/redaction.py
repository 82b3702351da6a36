"""Redaction of personal data before any text reaches a model or a cache.

NOTE: placeholder that changes nothing; the redaction rules replace it.
"""

from __future__ import annotations

from .transcript import Transcript

__all__ = ["redact_transcript"]


def redact_transcript(transcript: Transcript) -> Transcript:
    """Return the transcript with card numbers, emails, phone numbers and secrets replaced."""
    return transcript

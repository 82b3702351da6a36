"""Grading engines: the LLM engine and the offline phrase engine."""

from .base import Engine, EngineResult

__all__ = ["Engine", "EngineResult"]

"""Phrase indicators: what the offline phrase engine looks for to score a criterion.

A criterion's ``indicators`` name a few *signals* (phrases or regex patterns that one role
says, optionally within a window of turns) and say which signals each scale level needs::

    indicators:
      signals:
        - id: names_self
          role: agent
          phrases: ["my name is", "this is"]
          window: {first: 3}          # the agent's first three turns
        - id: names_company
          role: agent
          phrases: ["from acme", "acme telecom"]
          window: {first: 3}
      levels:                         # the highest level whose rule holds wins
        4: [names_self, names_company]            # a list: every signal must match
        2: {any: [names_self, names_company]}
      otherwise: 0                    # the score when no level's rule holds (default: scale min)
      negative:
        - {signal: pressure, cap: 1}  # a match caps the score at 1
      na_unless: [customer_objects]   # N/A when none of these signals matched

Binary criteria key their levels ``1``/``0`` or ``yes``/``no``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Indicators", "LevelRule", "NegativeIndicator", "Signal", "Window"]

SIGNAL_ID_PATTERN = r"^[a-z0-9_]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    """The turns a signal is looked for in; with no field set, every turn of the role."""

    first: int | None = Field(default=None, ge=1)
    """Only the role's first N turns (for an opening)."""
    last: int | None = Field(default=None, ge=1)
    """Only the role's last N turns (for a close)."""
    after: str | None = Field(default=None, pattern=SIGNAL_ID_PATTERN)
    """Only turns after the first turn where this other signal matched (a reply to an objection)."""

    @model_validator(mode="after")
    def _first_or_last(self) -> Window:
        if self.first is not None and self.last is not None:
            raise ValueError("a window takes 'first' or 'last', not both")
        return self


class Signal(_Strict):
    """Phrases or patterns that one role says: the unit the levels are built from."""

    id: str = Field(pattern=SIGNAL_ID_PATTERN)
    """Unique id within the criterion, ``[a-z0-9_]+``; levels and negatives refer to it."""
    label: str | None = None
    """Words for the reasoning ("asks why the customer left"); default: the id."""
    role: Literal["agent", "customer", "any"] = "agent"
    """Who must say it."""
    phrases: list[str] = Field(default_factory=list)
    """Phrases matched after folding case, punctuation and contractions, fuzzily for longer ones."""
    patterns: list[str] = Field(default_factory=list)
    """Python regular expressions searched in the folded text (lower case, no punctuation)."""
    window: Window | None = None
    """The turns to look in; default: every turn of the role."""
    min_turns: int = Field(default=1, ge=1)
    """How many different turns must match for the signal to count."""
    negation: bool = True
    """Whether a negation just before a match ("I can't offer you") cancels it."""

    @model_validator(mode="after")
    def _has_something_to_match(self) -> Signal:
        if not self.phrases and not self.patterns:
            message = f"signal {self.id!r} needs at least one entry in 'phrases' or 'patterns'"
            raise ValueError(message)
        return self


class LevelRule(_Strict):
    """The requirement of one scale level; every part that is set must hold."""

    all: list[str] = Field(default_factory=list)
    """Signals that must all match."""
    any: list[str] = Field(default_factory=list)
    """Signals of which at least one must match."""
    at_least: int | None = Field(default=None, ge=1)
    """With ``of``: how many of those signals must match."""
    of: list[str] = Field(default_factory=list)
    """The signals ``at_least`` counts."""

    @model_validator(mode="after")
    def _not_empty(self) -> LevelRule:
        if not (self.all or self.any or self.of):
            raise ValueError("a level needs 'all', 'any' or 'at_least' with 'of'")
        if (self.at_least is None) != (not self.of):
            raise ValueError("'at_least' and 'of' go together")
        if self.at_least is not None and self.at_least > len(self.of):
            count = len(self.of)
            raise ValueError(f"at_least: {self.at_least} is more than the {count} signals in 'of'")
        return self

    def signal_ids(self) -> list[str]:
        """Return every signal id the rule names, in order."""
        return [*self.all, *self.any, *self.of]


class NegativeIndicator(_Strict):
    """A signal whose match caps or lowers the score (pressure, a false promise)."""

    signal: str = Field(pattern=SIGNAL_ID_PATTERN)
    """The id of the signal."""
    cap: int | None = None
    """The highest score allowed once the signal matched."""
    lower: int | None = Field(default=None, ge=1)
    """Points taken off once the signal matched (never below the scale minimum)."""

    @model_validator(mode="after")
    def _cap_or_lower(self) -> NegativeIndicator:
        if (self.cap is None) == (self.lower is None):
            raise ValueError(f"negative {self.signal!r} needs exactly one of 'cap' or 'lower'")
        return self


class Indicators(_Strict):
    """Phrase indicators of one criterion: signals, the levels they earn, negatives and N/A."""

    signals: list[Signal] = Field(min_length=1)
    """The phrases and patterns to look for."""
    levels: dict[int, LevelRule] = Field(default_factory=dict)
    """Scale value → its requirement; the highest level whose rule is met is the score."""
    otherwise: int | None = None
    """The score when no level's rule holds; default: the scale minimum."""
    negative: list[NegativeIndicator] = Field(default_factory=list)
    """Signals that cap or lower the score."""
    na_unless: list[str] = Field(default_factory=list)
    """Signals of which one must match, else the criterion is N/A (no objection, no opt-out)."""

    @field_validator("levels", mode="before")
    @classmethod
    def _normalize_levels(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        normalized: dict[Any, Any] = {}
        for key, rule in value.items():
            # Binary criteria may key their levels yes/no (or true/false after YAML 1.1).
            if isinstance(key, str) and key.strip().lower() in ("yes", "no"):
                key = 1 if key.strip().lower() == "yes" else 0
            elif isinstance(key, bool):
                key = int(key)
            # A bare list is the short form of ``all``.
            normalized[key] = {"all": rule} if isinstance(rule, list) else rule
        return normalized

    @model_validator(mode="after")
    def _references_exist(self) -> Indicators:
        known = [signal.id for signal in self.signals]
        duplicates = sorted({signal_id for signal_id in known if known.count(signal_id) > 1})
        if duplicates:
            raise ValueError(f"signal ids must be unique; repeated: {', '.join(duplicates)}")
        if not self.levels and self.otherwise is None:
            raise ValueError("set 'levels' (what each score needs) or 'otherwise' (a fixed score)")

        references: list[tuple[str, str]] = []
        for score, rule in self.levels.items():
            references += [(f"levels.{score}", signal_id) for signal_id in rule.signal_ids()]
        references += [("negative", negative.signal) for negative in self.negative]
        references += [("na_unless", signal_id) for signal_id in self.na_unless]
        for signal in self.signals:
            if signal.window is not None and signal.window.after is not None:
                references.append((f"signals.{signal.id}.window.after", signal.window.after))
        for where, signal_id in references:
            if signal_id not in known:
                raise ValueError(
                    f"{where} names unknown signal {signal_id!r}; known signals: {', '.join(known)}"
                )

        _check_no_cycle(self.signals)
        return self

    def signal(self, signal_id: str) -> Signal:
        """Return the signal with this id."""
        for signal in self.signals:
            if signal.id == signal_id:
                return signal
        raise KeyError(signal_id)


def _check_no_cycle(signals: list[Signal]) -> None:
    # Each signal has at most one ``after`` link, so the links from any signal either end or
    # come back round. A loop is rejected because it can never be evaluated.
    after = {s.id: s.window.after for s in signals if s.window is not None and s.window.after}
    for start in after:
        seen = [start]
        current = after.get(start)
        while current is not None:
            if current in seen:
                chain = " -> ".join([*seen, current])
                raise ValueError(f"window.after links form a loop: {chain}")
            seen.append(current)
            current = after.get(current)

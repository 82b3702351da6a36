"""The offline phrase engine: scores criteria from the rubric's phrase indicators.

For each criterion: find where each signal matched (role, window, negation, fuzzy), decide
N/A from ``na_unless``, take the highest level whose rule holds, apply the negative
indicators, and quote the matched turns as evidence. No model and no network are involved.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..indicators import Indicators, LevelRule
from ..rubric import Criterion, Rubric
from ..scorecard import CriterionGrade, Evidence
from ..transcript import Transcript
from .base import EngineResult
from .matching import (
    DEFAULT_FUZZY_THRESHOLD,
    CompiledSignal,
    FoldedTranscript,
    PhraseMatch,
    compile_signal,
    fold_many,
    fold_transcript,
)

__all__ = ["OfflineEngine"]

# Folded transcripts kept per engine: the grading core calls the engine once per criterion,
# and folding is the costliest step, so each transcript is folded once.
FOLDED_CACHE_SIZE = 64
# Evidence quotes per criterion; more add length, not information.
MAX_EVIDENCE = 4
# A turn longer than this is quoted by the sentence that matched, not in full.
MAX_QUOTE_CHARS = 200

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
UNKNOWN_ROLES = (
    "no turn has the role 'agent' or 'customer', so the phrase indicators cannot tell who said "
    "what; load the transcript with roles={'<speaker label>': 'agent', ...}"
)


@dataclass
class _CompiledCriterion:
    criterion: Criterion
    indicators: Indicators
    signals: dict[str, CompiledSignal]
    levels: list[tuple[int, LevelRule]]
    fallback: int


class OfflineEngine:
    """Scores criteria from phrase indicators, with no model and no network.

    Compiled indicators are cached per rubric id and version, and folded transcripts per
    transcript object, on the instance: reuse one engine across calls for speed.
    """

    name = "offline"

    def __init__(self, fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD) -> None:
        self.fuzzy_threshold = fuzzy_threshold
        self._compiled: dict[tuple[str, str], dict[str, _CompiledCriterion | str]] = {}
        self._folded: OrderedDict[int, tuple[Transcript, FoldedTranscript]] = OrderedDict()

    async def grade(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> EngineResult:
        return EngineResult(grades=self.grade_sync(transcript, rubric, criteria))

    def grade_sync(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> list[CriterionGrade]:
        """Grade the criteria of one transcript; the synchronous core of ``grade``."""
        compiled = self._compile_rubric(rubric)
        folded = self._fold(transcript)
        # Without agent or customer turns every role-bound signal would silently miss, and
        # the call would score zeros that reflect nothing the representative did.
        roles_known = "agent" in folded.role_turns or "customer" in folded.role_turns
        grades = []
        for criterion in criteria:
            entry = compiled.get(criterion.id)
            if entry is None:
                # A criterion object that is not part of this rubric: compile it on its own.
                entry = _compile_criterion(criterion, self.fuzzy_threshold)
            if isinstance(entry, str):
                grades.append(CriterionGrade.failed(criterion, entry, engine="offline"))
            elif not roles_known and _needs_roles(entry):
                grades.append(CriterionGrade.failed(criterion, UNKNOWN_ROLES, engine="offline"))
            else:
                grades.append(_grade_criterion(entry, transcript, folded))
        return grades

    def _compile_rubric(self, rubric: Rubric) -> dict[str, _CompiledCriterion | str]:
        key = (rubric.id, rubric.version)
        cached = self._compiled.get(key)
        if cached is None:
            cached = {c.id: _compile_criterion(c, self.fuzzy_threshold) for c in rubric.criteria}
            self._compiled[key] = cached
        return cached

    def _fold(self, transcript: Transcript) -> FoldedTranscript:
        # Keyed by id(); the entry keeps the transcript alive, so the id cannot be reused
        # by another object while the entry exists.
        key = id(transcript)
        entry = self._folded.get(key)
        if entry is not None and entry[0] is transcript:
            self._folded.move_to_end(key)
            return entry[1]
        folded = fold_transcript(transcript)
        self._folded[key] = (transcript, folded)
        if len(self._folded) > FOLDED_CACHE_SIZE:
            self._folded.popitem(last=False)
        return folded


def _needs_roles(compiled: _CompiledCriterion) -> bool:
    return any(signal.signal.role != "any" for signal in compiled.signals.values())


def _compile_criterion(criterion: Criterion, threshold: float) -> _CompiledCriterion | str:
    """Compile a criterion's indicators, or return why they cannot be used.

    ``load_rubric`` rejects the same problems up front; these checks guard criteria built in
    Python with ``model_construct`` or from a dumped rubric that skipped validation.
    """
    indicators = criterion.indicators
    if indicators is None:
        return (
            f"criterion {criterion.id!r} has no phrase indicators, so the offline engine cannot "
            "grade it; add 'indicators' to the rubric or grade with a model (--model)"
        )

    allowed = criterion.scale.values
    scores = [*indicators.levels, *([] if indicators.otherwise is None else [indicators.otherwise])]
    scores += [negative.cap for negative in indicators.negative if negative.cap is not None]
    outside = sorted({score for score in scores if score not in allowed})
    if outside:
        return (
            f"criterion {criterion.id!r}: indicator levels {outside} are outside the scale "
            f"{criterion.scale.min}..{criterion.scale.max}; use scale values only"
        )
    if indicators.na_unless and not criterion.na_allowed:
        return (
            f"criterion {criterion.id!r}: indicators set 'na_unless' but the criterion has "
            "na_allowed: false; set na_allowed: true or remove na_unless"
        )

    signals: dict[str, CompiledSignal] = {}
    for signal in indicators.signals:
        try:
            signals[signal.id] = compile_signal(signal, threshold)
        except re.error as exc:
            return f"criterion {criterion.id!r}: signal {signal.id!r} has an invalid pattern: {exc}"

    return _CompiledCriterion(
        criterion=criterion,
        indicators=indicators,
        signals=signals,
        levels=sorted(indicators.levels.items(), reverse=True),
        fallback=criterion.scale.min if indicators.otherwise is None else indicators.otherwise,
    )


def _grade_criterion(
    compiled: _CompiledCriterion, transcript: Transcript, folded: FoldedTranscript
) -> CriterionGrade:
    criterion = compiled.criterion
    indicators = compiled.indicators

    # Step 1: where each signal matched.
    matches: dict[str, list[PhraseMatch]] = {}
    for signal_id in compiled.signals:
        _match_signal(signal_id, compiled, folded, matches)
    matched = {
        signal_id
        for signal_id, found in matches.items()
        if len(found) >= compiled.signals[signal_id].signal.min_turns
    }

    # Step 2: N/A when none of the signals that make the criterion apply matched.
    if indicators.na_unless and not matched.intersection(indicators.na_unless):
        names = ", ".join(_label(compiled, signal_id) for signal_id in indicators.na_unless)
        return CriterionGrade.not_applicable(
            criterion, reasoning=f"N/A: nothing matched for {names}.", engine="offline"
        )

    # Step 3: the highest level whose rule holds.
    score = compiled.fallback
    level_rule: LevelRule | None = None
    for level, rule in compiled.levels:
        if _rule_holds(rule, matched):
            score, level_rule = level, rule
            break

    # Step 4: negative indicators cap or lower the score, never below the scale minimum.
    notes: list[str] = []
    negatives_hit: list[str] = []
    for negative in indicators.negative:
        if negative.signal not in matched:
            continue
        negatives_hit.append(negative.signal)
        before = score
        if negative.cap is not None:
            score = min(score, negative.cap)
        else:
            score = max(criterion.scale.min, score - (negative.lower or 0))
        if score != before:
            notes.append(f"{_label(compiled, negative.signal)} lowered it from {before} to {score}")

    # Step 5: evidence and reasoning from the signals that decided the score.
    deciding = [] if level_rule is None else [s for s in level_rule.signal_ids() if s in matched]
    evidence = _evidence(transcript, folded, matches, [*negatives_hit, *deciding])
    reasoning = _reasoning(compiled, score, level_rule, matched, matches, notes)
    return CriterionGrade.scored(
        criterion, score, reasoning=reasoning, evidence=evidence, engine="offline"
    )


def _match_signal(
    signal_id: str,
    compiled: _CompiledCriterion,
    folded: FoldedTranscript,
    matches: dict[str, list[PhraseMatch]],
) -> list[PhraseMatch]:
    """Find the turns where a signal matches, evaluating its ``window.after`` signal first."""
    if signal_id in matches:
        return matches[signal_id]
    signal = compiled.signals[signal_id]
    window = signal.signal.window
    role = signal.signal.role

    candidates = folded.role_turns.get(role, [])
    if window is not None:
        if window.first is not None:
            candidates = candidates[: window.first]
        if window.last is not None:
            candidates = candidates[-window.last :]
        if window.after is not None:
            earlier = _match_signal(window.after, compiled, folded, matches)
            after = earlier[0].turn_index if earlier else len(folded.turns)
            candidates = [index for index in candidates if index > after]

    found = signal.match_turns(folded, candidates) if candidates else []
    matches[signal_id] = found
    return found


def _rule_holds(rule: LevelRule, matched: set[str]) -> bool:
    if rule.all and not all(signal_id in matched for signal_id in rule.all):
        return False
    if rule.any and not any(signal_id in matched for signal_id in rule.any):
        return False
    if rule.at_least is not None:
        return sum(signal_id in matched for signal_id in rule.of) >= rule.at_least
    return True


def _label(compiled: _CompiledCriterion, signal_id: str) -> str:
    return compiled.signals[signal_id].signal.label or signal_id


def _reasoning(
    compiled: _CompiledCriterion,
    score: int,
    level_rule: LevelRule | None,
    matched: set[str],
    matches: dict[str, list[PhraseMatch]],
    notes: list[str],
) -> str:
    scale = compiled.criterion.scale
    score_text = f"{score}/{scale.max}"
    if scale.kind == "binary":
        score_text = "yes" if score >= 1 else "no"
    found = [
        f"{_label(compiled, s)} (turn {', '.join(str(m.turn_index) for m in matches[s][:3])})"
        for s in compiled.signals
        if s in matched
    ]
    missing = [_label(compiled, s) for s in compiled.signals if s not in matched]
    parts = [f"Offline phrase match, {score_text}."]
    if level_rule is None and compiled.levels:
        parts.append("No level's rule held, so the default score applies.")
    elif level_rule is None:
        parts.append("The criterion's default score, changed only by negative indicators.")
    parts.append(f"Matched: {'; '.join(found)}." if found else "Matched: nothing.")
    if missing:
        parts.append(f"Not matched: {'; '.join(missing)}.")
    parts += [f"Negative: {note}." for note in notes]
    return " ".join(parts)


def _evidence(
    transcript: Transcript,
    folded: FoldedTranscript,
    matches: dict[str, list[PhraseMatch]],
    signal_ids: list[str],
) -> list[Evidence]:
    evidence: list[Evidence] = []
    quoted: set[int] = set()
    for signal_id in signal_ids:
        for match in matches.get(signal_id, []):
            if match.turn_index in quoted or len(evidence) >= MAX_EVIDENCE:
                continue
            quoted.add(match.turn_index)
            turn = transcript.turns[match.turn_index]
            evidence.append(
                Evidence(
                    quote=_quote(folded, match.turn_index, turn.text, match.phrase),
                    turn_index=match.turn_index,
                    speaker=turn.role,
                    start=turn.start,
                    end=turn.end,
                    verified=True,
                )
            )
    return evidence


def _quote(folded: FoldedTranscript, turn_index: int, text: str, phrase: str) -> str:
    """Return the turn, or for a long turn the sentence that best contains the phrase."""
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    # Several criteria quote the same long turns, so each is split and folded once per call.
    if turn_index not in folded.sentences:
        parts = [part for part in _SENTENCE_END.split(text) if part.strip()]
        folded.sentences[turn_index] = (parts, fold_many(parts) if parts else [])
    sentences, folded_sentences = folded.sentences[turn_index]
    if not sentences:
        return text
    for sentence, folded_sentence in zip(sentences, folded_sentences, strict=True):
        if phrase in folded_sentence:
            return sentence.strip()
    # A fuzzy match or a pattern: the sentence most like the phrase.
    scores = [fuzz.partial_ratio(phrase, folded_sentence) for folded_sentence in folded_sentences]
    return sentences[scores.index(max(scores))].strip()

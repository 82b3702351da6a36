"""Result models (Evidence, CriterionGrade, SectionScore, Usage, Scorecard) and the aggregation.

The aggregation rules are fixed by the public API:

- a criterion's normalized score is ``(score - min) / (max - min)``; binary yes/no is 1/0;
- a section score is the weighted mean of its scored criteria times 100; N/A criteria leave the
  mean and the remaining weights renormalise; a section with nothing scored has ``score=None``;
- the total is the weighted mean over sections by section weight, or over all criteria by
  criterion weight when no section has a weight;
- any criterion in error, or nothing scored at all, gives ``total=None`` and ``passed=None``;
- a critical criterion scored below its threshold auto-fails the call (N/A never does), and the
  rubric's ``auto_fail`` policy says what that does to the total;
- pass/fail compares the unrounded total with the pass threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from .rubric import Criterion, Rubric, Section

__all__ = [
    "CriterionGrade",
    "Evidence",
    "Scorecard",
    "SectionScore",
    "Usage",
    "aggregate",
]

GradeStatus = Literal["scored", "na", "error"]
EngineName = Literal["llm", "offline"]


class Evidence(BaseModel):
    """One quote from the transcript that a grade rests on."""

    quote: str
    """The quoted text: as it is in the transcript once verified, else as the model gave it."""
    turn_index: int | None = None
    """Index into ``Transcript.turns``; None when the quote was not found."""
    speaker: str | None = None
    """The role of the quoted turn: ``"agent"``, ``"customer"`` or the source's label."""
    start: float | None = None
    """Start of the quoted turn in seconds, when the transcript has times."""
    end: float | None = None
    """End of the quoted turn in seconds, when the transcript has times."""
    verified: bool = False
    """True only when the quote was found in the transcript."""


class Usage(BaseModel):
    """Model calls and their cost."""

    calls: int = 0
    """Model requests sent, retries included."""
    cached_calls: int = 0
    """Grades served from the cache instead of a model request."""
    prompt_tokens: int = 0
    """Prompt tokens the provider reported."""
    completion_tokens: int = 0
    """Completion tokens the provider reported."""
    cost_usd: float | None = None
    """Cost in US dollars of the priced calls; None when no call had a known price."""
    unpriced_calls: int = 0
    """Calls whose model has no known price: their cost is unknown, not zero."""

    def __add__(self, other: Usage) -> Usage:
        if self.cost_usd is None and other.cost_usd is None:
            cost = None
        else:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        # Sums of valid fields are valid, and the engine adds usages several times per call,
        # so the result skips validation.
        return Usage.model_construct(
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=cost,
            unpriced_calls=self.unpriced_calls + other.unpriced_calls,
        )


class CriterionGrade(BaseModel):
    """The result for one criterion: scored, N/A or error."""

    criterion_id: str
    """The id of the criterion in the rubric."""
    status: GradeStatus
    """``"scored"``, ``"na"`` (not applicable) or ``"error"`` (could not be graded)."""
    score: float | None = None
    """The score on the criterion's own scale; None unless scored."""
    normalized: float | None = None
    """The score mapped to 0..1; None unless scored."""
    reasoning: str = ""
    """The reason for the grade."""
    evidence: list[Evidence] = Field(default_factory=list)
    """The quotes the grade rests on."""
    error: str | None = None
    """The cause of the failure, when the status is ``"error"``."""
    engine: EngineName = "offline"
    """The engine that produced the grade: the LLM engine or the offline phrase engine."""
    raw_reply: str | None = None
    """The model's last raw reply, kept when grading failed so it can be inspected."""

    @classmethod
    def scored(
        cls,
        criterion: Criterion,
        score: float,
        *,
        reasoning: str = "",
        evidence: Sequence[Evidence] = (),
        engine: EngineName,
    ) -> CriterionGrade:
        """Build a scored grade, normalising the score on the criterion's scale."""
        return cls(
            criterion_id=criterion.id,
            status="scored",
            score=score,
            normalized=criterion.scale.normalize(score),
            reasoning=reasoning,
            evidence=list(evidence),
            engine=engine,
        )

    @classmethod
    def not_applicable(
        cls,
        criterion: Criterion,
        *,
        reasoning: str,
        evidence: Sequence[Evidence] = (),
        engine: EngineName,
    ) -> CriterionGrade:
        """Build an N/A grade."""
        return cls(
            criterion_id=criterion.id,
            status="na",
            reasoning=reasoning,
            evidence=list(evidence),
            engine=engine,
        )

    @classmethod
    def failed(
        cls,
        criterion: Criterion,
        error: str,
        *,
        engine: EngineName,
        raw_reply: str | None = None,
    ) -> CriterionGrade:
        """Build an error grade: never a 0 and never N/A."""
        return cls(
            criterion_id=criterion.id,
            status="error",
            error=error,
            engine=engine,
            raw_reply=raw_reply,
        )


class SectionScore(BaseModel):
    """A section's weighted subtotal."""

    section_id: str
    """The id of the section in the rubric."""
    score: float | None
    """0..100, weighted over the section's scored criteria; None when none was scored."""
    weight: float
    """The section's weight in the total; without section weights, its criterion weights' sum."""


class Scorecard(BaseModel):
    """All grades of one call, with section scores, total, pass/fail and auto-fail."""

    transcript_id: str
    """The id of the graded transcript (its call id)."""
    rubric_id: str
    """The id of the rubric used."""
    rubric_version: str
    """The version of the rubric used."""
    engine: EngineName
    """``"llm"`` when a judge model graded any criterion, else ``"offline"``."""
    model: str | None = None
    """The litellm model string of the judge model, for the LLM engine."""
    grades: list[CriterionGrade]
    """One grade per criterion, in rubric order."""
    sections: list[SectionScore]
    """One score per section, in rubric order."""
    total: float | None
    """0..100; None when nothing could be scored or any criterion is in error."""
    passed: bool | None
    """Whether the unrounded total reaches the pass threshold; None when the total is None."""
    auto_failed: bool = False
    """True when a critical criterion failed."""
    pass_threshold: float = 80
    """The rubric's pass threshold at grading time."""
    usage: Usage = Field(default_factory=Usage)
    """Model calls, tokens and cost spent on this call."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """The transcript's metadata: call_id, agent_id, team, started_at, outcome, csat ..."""

    def grade(self, criterion_id: str) -> CriterionGrade:
        """Return the grade of one criterion."""
        for grade in self.grades:
            if grade.criterion_id == criterion_id:
                return grade
        raise KeyError(criterion_id)

    @property
    def errors(self) -> list[CriterionGrade]:
        """The grades whose status is ``"error"``."""
        return [grade for grade in self.grades if grade.status == "error"]


def aggregate(
    rubric: Rubric,
    grades: Sequence[CriterionGrade],
    *,
    transcript_id: str,
    engine: EngineName,
    model: str | None = None,
    usage: Usage | None = None,
    metadata: dict[str, Any] | None = None,
) -> Scorecard:
    """Combine one grade per criterion into a Scorecard by the rubric's weights and rules."""
    by_id = {grade.criterion_id: grade for grade in grades}
    missing = [criterion.id for criterion in rubric.criteria if criterion.id not in by_id]
    if missing:
        raise ValueError(f"no grade for criteria {missing}; aggregate() needs one per criterion")
    ordered = [by_id[criterion.id] for criterion in rubric.criteria]

    # Auto-fail: a critical criterion scored below its threshold. N/A and errors never trigger it.
    failed_sections = {
        section.id
        for section in rubric.sections
        for criterion in section.criteria
        if _fails_critical(criterion, by_id[criterion.id])
    }
    auto_failed = bool(failed_sections)

    zeroed_sections = failed_sections if rubric.auto_fail == "zero_section" else set()
    sections = [
        _section_score(rubric, section, by_id, zeroed=section.id in zeroed_sections)
        for section in rubric.sections
    ]

    total = _total(rubric, sections, by_id, zeroed_sections)
    if any(grade.status == "error" for grade in ordered):
        total = None
    elif auto_failed and rubric.auto_fail == "zero_total":
        total = 0.0

    if total is None:
        passed = None
    elif auto_failed:
        passed = False
    else:
        passed = total >= rubric.pass_threshold

    return Scorecard(
        transcript_id=transcript_id,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        engine=engine,
        model=model,
        grades=ordered,
        sections=sections,
        total=total,
        passed=passed,
        auto_failed=auto_failed,
        pass_threshold=rubric.pass_threshold,
        usage=usage or Usage(),
        metadata=dict(metadata or {}),
    )


def _fails_critical(criterion: Criterion, grade: CriterionGrade) -> bool:
    if not criterion.critical or grade.status != "scored" or grade.score is None:
        return False
    return grade.score < criterion.failure_threshold


def _weighted_mean(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Return the weighted mean of (value, weight) pairs, or None when the weights sum to 0."""
    weight_sum = sum(weight for _, weight in pairs)
    if weight_sum <= 0:
        return None
    return sum(value * weight for value, weight in pairs) / weight_sum


def _section_score(
    rubric: Rubric, section: Section, by_id: dict[str, CriterionGrade], *, zeroed: bool
) -> SectionScore:
    pairs = [
        (by_id[criterion.id].normalized or 0.0, criterion.weight)
        for criterion in section.criteria
        if by_id[criterion.id].status == "scored"
    ]
    mean = _weighted_mean(pairs)
    score = None if mean is None else mean * 100
    if zeroed and score is not None:
        score = 0.0
    if rubric.uses_section_weights:
        weight = section.weight if section.weight is not None else 0.0
    else:
        weight = sum(criterion.weight for criterion in section.criteria)
    return SectionScore(section_id=section.id, score=score, weight=weight)


def _total(
    rubric: Rubric,
    sections: Sequence[SectionScore],
    by_id: dict[str, CriterionGrade],
    zeroed_sections: set[str],
) -> float | None:
    if rubric.uses_section_weights:
        section_pairs = [
            (section.score, section.weight) for section in sections if section.score is not None
        ]
        return _weighted_mean(section_pairs)

    # Without section weights every criterion counts by its own weight across the rubric, so
    # the section scores (renormalised within each section) cannot be reused here.
    criterion_pairs = [
        (
            0.0 if section.id in zeroed_sections else (by_id[criterion.id].normalized or 0.0),
            criterion.weight,
        )
        for section in rubric.sections
        for criterion in section.criteria
        if by_id[criterion.id].status == "scored"
    ]
    mean = _weighted_mean(criterion_pairs)
    return None if mean is None else mean * 100

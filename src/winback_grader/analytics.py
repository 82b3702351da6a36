"""Roll-ups across scorecards: per representative, per team, conversion and outcome links.

Every function takes the scorecards of one rubric and reads the call metadata that the
transcripts carried (``agent_id``, ``team``, ``outcome``). Calls without a total (all N/A,
or a criterion in error) count as calls but stay out of the mean total and the pass rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from statistics import fmean

from pydantic import BaseModel, Field

from .scorecard import Scorecard

__all__ = [
    "LOST_OUTCOMES",
    "WON_OUTCOMES",
    "CriterionOutcomeLink",
    "GroupSummary",
    "conversion_rate",
    "criteria_by_outcome",
    "criterion_means",
    "outcome_of",
    "summarize_by_agent",
    "summarize_by_team",
    "training_focus",
]

# Outcome labels as CRMs and call-tracking exports write them, compared after lower-casing
# and replacing "-" and " " with "_".
WON_OUTCOMES = frozenset(
    {"won_back", "won", "winback", "retained", "saved", "reactivated", "converted"}
)
LOST_OUTCOMES = frozenset({"lost", "churned", "cancelled", "canceled", "declined", "not_converted"})

UNASSIGNED = "(none)"


class GroupSummary(BaseModel):
    """Figures for the calls of one representative or one team."""

    key: str
    """The agent_id or team the calls share; ``"(none)"`` for calls without one."""
    team: str | None = None
    """The representative's team, when every call names the same one."""
    calls: int
    """Calls graded for this group, whatever their result."""
    scored_calls: int
    """Calls that have a total (not all N/A and no criterion in error)."""
    mean_total: float | None
    """Mean total 0..100 over the scored calls; None when there is none."""
    pass_rate: float | None
    """Share 0..1 of the scored calls that passed; None when there is none."""
    auto_fails: int
    """Calls auto-failed by a critical criterion."""
    conversion_rate: float | None
    """Share 0..1 of the calls with a known outcome that were won back; None when none is known."""
    criterion_means: dict[str, float | None] = Field(default_factory=dict)
    """Mean normalized score 0..1 of each criterion, in rubric order; None when never scored."""
    training_focus: list[str] = Field(default_factory=list)
    """The ids of the (at most) two criteria with the lowest mean: what to coach first."""


class CriterionOutcomeLink(BaseModel):
    """One criterion's mean score on won-back calls against its mean on lost calls."""

    criterion_id: str
    """The id of the criterion in the rubric."""
    won_mean: float | None
    """Mean normalized score 0..1 on won-back calls; None when never scored there."""
    lost_mean: float | None
    """Mean normalized score 0..1 on lost calls; None when never scored there."""
    difference: float | None
    """``won_mean - lost_mean``; positive when the criterion goes with winning the customer back."""


def outcome_of(scorecard: Scorecard) -> str | None:
    """Return ``"won"``, ``"lost"`` or None (unknown) from the call's ``outcome`` metadata."""
    raw = scorecard.metadata.get("outcome")
    if not isinstance(raw, str):
        return None
    label = raw.strip().lower().replace("-", "_").replace(" ", "_")
    if label in WON_OUTCOMES:
        return "won"
    if label in LOST_OUTCOMES:
        return "lost"
    return None


def conversion_rate(scorecards: Iterable[Scorecard]) -> float | None:
    """Return the share of calls with a known outcome that were won back (None: none known)."""
    outcomes = [outcome_of(card) for card in scorecards]
    known = [outcome for outcome in outcomes if outcome is not None]
    if not known:
        return None
    return known.count("won") / len(known)


def criterion_means(scorecards: Sequence[Scorecard]) -> dict[str, float | None]:
    """Return each criterion's mean normalized score over the calls where it was scored."""
    order: list[str] = []
    values: dict[str, list[float]] = {}
    for card in scorecards:
        for grade in card.grades:
            if grade.criterion_id not in values:
                order.append(grade.criterion_id)
                values[grade.criterion_id] = []
            if grade.status == "scored" and grade.normalized is not None:
                values[grade.criterion_id].append(grade.normalized)
    return {criterion_id: _mean(values[criterion_id]) for criterion_id in order}


def training_focus(means: dict[str, float | None], count: int = 2) -> list[str]:
    """Return the ids of the ``count`` criteria with the lowest mean; ties keep rubric order.

    Criteria at full marks (mean 1.0) are left out: there is nothing to train on them.
    """
    scored = [
        (mean, index, criterion_id)
        for index, (criterion_id, mean) in enumerate(means.items())
        if mean is not None and mean < 1.0
    ]
    scored.sort()
    return [criterion_id for _, _, criterion_id in scored[:count]]


def summarize_by_agent(scorecards: Iterable[Scorecard]) -> list[GroupSummary]:
    """Summarise the calls of each representative (metadata ``agent_id``), sorted by agent_id."""
    return _summarize(scorecards, lambda card: card.metadata.get("agent_id"), with_team=True)


def summarize_by_team(scorecards: Iterable[Scorecard]) -> list[GroupSummary]:
    """Summarise the calls of each team (metadata ``team``), sorted by team."""
    return _summarize(scorecards, lambda card: card.metadata.get("team"), with_team=False)


def criteria_by_outcome(scorecards: Iterable[Scorecard]) -> list[CriterionOutcomeLink]:
    """Compare each criterion's mean on won-back and lost calls, largest difference first.

    Criteria that lack a mean on either side come last, in rubric order.
    """
    cards = list(scorecards)
    won = criterion_means([card for card in cards if outcome_of(card) == "won"])
    lost = criterion_means([card for card in cards if outcome_of(card) == "lost"])
    links = []
    for criterion_id in criterion_means(cards):
        won_mean = won.get(criterion_id)
        lost_mean = lost.get(criterion_id)
        difference = None if won_mean is None or lost_mean is None else won_mean - lost_mean
        links.append(
            CriterionOutcomeLink(
                criterion_id=criterion_id,
                won_mean=won_mean,
                lost_mean=lost_mean,
                difference=difference,
            )
        )
    # sorted() is stable, so criteria without a difference keep their rubric order at the end.
    return sorted(links, key=_by_difference)


def _by_difference(link: CriterionOutcomeLink) -> float:
    return -link.difference if link.difference is not None else float("inf")


def _summarize(
    scorecards: Iterable[Scorecard],
    key_of: Callable[[Scorecard], object],
    *,
    with_team: bool,
) -> list[GroupSummary]:
    groups: dict[str, list[Scorecard]] = {}
    for card in scorecards:
        raw_key = key_of(card)
        key = UNASSIGNED if raw_key is None or raw_key == "" else str(raw_key)
        groups.setdefault(key, []).append(card)

    summaries = []
    for key in sorted(groups):
        cards = groups[key]
        totals = [card.total for card in cards if card.total is not None]
        passes = [card.passed for card in cards if card.passed is not None]
        means = criterion_means(cards)
        teams = {str(card.metadata["team"]) for card in cards if card.metadata.get("team")}
        summaries.append(
            GroupSummary(
                key=key,
                team=teams.pop() if with_team and len(teams) == 1 else None,
                calls=len(cards),
                scored_calls=len(totals),
                mean_total=_mean(totals),
                pass_rate=(sum(passes) / len(passes)) if passes else None,
                auto_fails=sum(card.auto_failed for card in cards),
                conversion_rate=conversion_rate(cards),
                criterion_means=means,
                training_focus=training_focus(means),
            )
        )
    return summaries


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None

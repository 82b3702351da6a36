"""The pydantic models a judge model's reply must fit: one per criterion, or one per group.

Field order matters to the model, which writes fields in schema order: reasoning first, then
the evidence quotes, then the score, so the score follows from the reasoning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..rubric import Criterion

__all__ = [
    "NA_SCORE",
    "QuoteReply",
    "criterion_field_name",
    "criterion_reply_model",
    "group_reply_model",
]

NA_SCORE = "na"
"""The score value that means "not applicable"; admitted only where the criterion allows N/A."""


class QuoteReply(BaseModel):
    """One evidence quote as the judge model gives it."""

    model_config = ConfigDict(extra="forbid")

    quote: str = Field(description="Words copied verbatim from one transcript turn.")
    """The quoted words, as the model wrote them."""
    turn: int = Field(description="The number in square brackets of the quoted turn.")
    """The turn number the model cites."""


def _score_type(criterion: Criterion) -> Any:
    # A Literal of the scale's integers rejects 7 on a 0-4 scale and 0.9 on a binary one, so
    # instructor re-asks instead of passing an out-of-scale score on.
    allowed: list[int | str] = list(criterion.scale.values)
    if criterion.na_allowed:
        allowed.append(NA_SCORE)
    return Literal[tuple(allowed)]


def _score_description(criterion: Criterion) -> str:
    values = ", ".join(str(value) for value in criterion.scale.values)
    if criterion.scale.kind == "binary":
        values = "1 (yes) or 0 (no)"
    if criterion.na_allowed:
        return f"The score: one of {values}, or \"{NA_SCORE}\" when the criterion does not apply."
    return f"The score: one of {values}."


def criterion_field_name(criterion: Criterion) -> str:
    """Return the Python field name of a criterion in a group reply (ids may contain "-")."""
    return "c_" + criterion.id.replace("-", "_")


def criterion_reply_model(criterion: Criterion) -> type[BaseModel]:
    """Build the reply model of one criterion: reasoning, evidence, then a score on its scale."""
    return create_model(
        "grade_" + criterion.id.replace("-", "_"),
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The grade of the call on the criterion {criterion.name!r} ({criterion.id}).",
        reasoning=(str, Field(description="Why the call earns this score, citing what was said.")),
        evidence=(
            list[QuoteReply],
            Field(description="Verbatim quotes from the transcript that support the score."),
        ),
        score=(_score_type(criterion), Field(description=_score_description(criterion))),
    )


def group_reply_model(criteria: Sequence[Criterion]) -> type[BaseModel]:
    """Build the reply model of several criteria graded in one call: one field per criterion.

    Field names are ``criterion_field_name(criterion)``. Each field's alias is the criterion id,
    and the schema sent to the model uses the aliases.
    """
    fields: dict[str, Any] = {
        criterion_field_name(criterion): (
            criterion_reply_model(criterion),
            Field(alias=criterion.id, description=f"The grade on criterion {criterion.id}."),
        )
        for criterion in criteria
    }
    return create_model(
        "grades",
        __config__=ConfigDict(extra="forbid", populate_by_name=True),
        __doc__="The grades of the call, one per criterion id.",
        **fields,
    )

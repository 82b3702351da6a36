"""Shared inputs of the LLM benchmarks: transcripts built from examples/ and a sized rubric."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from winback_grader import Rubric, Transcript, load_rubric, load_transcript

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_transcripts(count: int) -> list[Transcript]:
    """Return ``count`` transcripts cycling through examples/, each with its own id."""
    sources = [
        load_transcript(path)
        for path in sorted(EXAMPLES.iterdir())
        if path.is_file() and not path.name.endswith((".meta.json", ".meta.yaml"))
    ]
    transcripts = []
    for n in range(count):
        source = sources[n % len(sources)]
        # A reference number in the first turn makes every prompt unique, so no two calls
        # share a cache entry.
        first = source.turns[0].model_copy(
            update={"text": f"{source.turns[0].text} (reference bench-{n:05d})"}
        )
        transcripts.append(
            source.model_copy(update={"id": f"bench-{n:05d}", "turns": [first, *source.turns[1:]]})
        )
    return transcripts


def sized_rubric(criteria: int) -> Rubric:
    """Return the default rubric cut down to its first ``criteria`` criteria."""
    data: dict[str, Any] = load_rubric("winback").model_dump()
    sections = []
    left = criteria
    for section in data["sections"]:
        if left <= 0:
            break
        section["criteria"] = section["criteria"][:left]
        left -= len(section["criteria"])
        sections.append(section)
    data["sections"] = sections
    return Rubric.model_validate(data)

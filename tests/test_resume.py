"""Resuming a batch run from its results file, after a crash that left a half-written line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from test_batch import make_transcript
from winback_grader import ConfigError, GraderConfig, grade, load_rubric
from winback_grader.batch import BatchRun
from winback_grader.results_file import CompletedResults, ResultsFile


def load_default(path: Path) -> CompletedResults:
    results = ResultsFile(path)
    return results.load_completed(rubric_id="winback", rubric_version="2026.12", model=None)


def write_cards(path: Path, ids: list[str]) -> None:
    with ResultsFile(path) as results:
        for call_id in ids:
            results.append(grade(make_transcript(call_id)))


def test_load_completed_counts_lines(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a", "b", "a"])

    completed = load_default(path)

    assert completed.counts == {"a": 2, "b": 1}
    assert completed.truncated_bytes == 0


def test_half_written_line_is_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a", "b"])
    complete_size = path.stat().st_size
    with path.open("a") as handle:
        handle.write('{"transcript_id": "c", "rubric_id": "win')

    completed = load_default(path)

    assert completed.counts == {"a": 1, "b": 1}
    assert completed.truncated_bytes == len('{"transcript_id": "c", "rubric_id": "win')
    assert path.stat().st_size == complete_size


def test_missing_file_has_nothing_completed(tmp_path: Path) -> None:
    completed = ResultsFile(tmp_path / "new.jsonl").load_completed(
        rubric_id="winback", rubric_version="2026.12", model=None
    )
    assert completed.total == 0


def test_other_rubric_version_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["a"])
    with pytest.raises(ConfigError) as caught:
        ResultsFile(path).load_completed(rubric_id="winback", rubric_version="2027.01", model=None)
    assert str(caught.value) == (
        f"{path}: line 1 was graded with rubric 'winback' version '2026.12' and model None, "
        "but this run uses rubric 'winback' version '2027.01' and model None; "
        "pass another --out file, or delete this one to grade everything again"
    )


def test_corrupt_line_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"not": "a scorecard"}\n')
    with pytest.raises(ConfigError) as caught:
        load_default(path)
    assert str(caught.value).startswith(f"{path}: line 1 is not a scorecard (")


def test_stream_skips_completed_transcripts(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    write_cards(path, ["call-0", "call-2"])
    completed = load_default(path)
    transcripts = [make_transcript(f"call-{n}") for n in range(4)]

    async def run_all() -> tuple[list[str], int]:
        with BatchRun(load_rubric("winback"), GraderConfig(), completed=completed) as run:
            ids = [card.transcript_id async for _, card in run.stream(transcripts)]
            return ids, run.totals.reused

    graded, reused = asyncio.run(run_all())

    assert sorted(graded) == ["call-1", "call-3"]
    assert reused == 2

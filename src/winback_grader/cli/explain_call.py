"""The grade command's ``--explain CALL_ID``: where its output may go, and selecting that call."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from ..transcript import Transcript

__all__ = ["explain_out_problem", "select_call"]

# Ids listed when --explain names no input transcript; a folder may hold thousands.
SHOWN_IDS = 5


def explain_out_problem(out: Path | None, output_format: str) -> str | None:
    """Return why ``--explain`` cannot write to ``out``, or None when it can.

    The explanation is text, so writing it to a JSON Lines file would replace the results that
    a batch run streamed there.
    """
    if out is None:
        return None
    if output_format != "jsonl" and out.suffix.lower() != ".jsonl":
        return None
    return (
        f"--explain writes one call's explanation as text, which would overwrite the JSON Lines "
        f"file {str(out)!r}; pass a .txt or .md --out file, or drop --out to print it"
    )


def select_call(transcripts: Sequence[Transcript], call_id: str) -> list[Transcript]:
    """Return the first transcript whose id is ``call_id``, so that only it is graded.

    One explanation is printed, so a second file with the same id (which the command warns
    about) is not graded. Raises LookupError with the ids that do exist, closest first, when
    none has that id.
    """
    matching = [transcript for transcript in transcripts if transcript.id == call_id]
    if not matching:
        raise LookupError(_unknown_call_message(call_id, [t.id for t in transcripts]))
    return matching[:1]


def _unknown_call_message(call_id: str, input_ids: Sequence[str]) -> str:
    ids = list(dict.fromkeys(input_ids))  # one entry per id, in input order
    close = difflib.get_close_matches(call_id, ids, n=SHOWN_IDS)
    listed_ids = (close + [other for other in ids if other not in close])[:SHOWN_IDS]
    listed = ", ".join(listed_ids) if listed_ids else "none, because no input file could be read"
    if len(ids) > len(listed_ids):
        listed += f" and {len(ids) - len(listed_ids)} more"
    guess = f"; did you mean {close[0]!r}?" if close else "."
    return f"--explain {call_id!r}: no input transcript has that id{guess} Input ids: {listed}"

"""The grade command's ``--out`` file: its output format, and a writability check before grading."""

from __future__ import annotations

import os
from pathlib import Path

from ..results_file import is_results_file

__all__ = ["format_for_out", "out_path_problem", "overwrite_problem"]

# Output formats chosen by the --out file's extension when --format is not given.
FORMAT_BY_SUFFIX = {".jsonl": "jsonl", ".json": "json", ".csv": "csv"}


def format_for_out(output_format: str | None, out: Path | None) -> str:
    """Return the output format: ``--format`` when given, else the one ``--out``'s extension names.

    ``--out results.jsonl`` alone thus streams JSON Lines and resumes, instead of writing a
    table into a file named .jsonl. Other extensions, and stdout, get the table.
    """
    if output_format is not None:
        return output_format
    if out is None:
        return "table"
    return FORMAT_BY_SUFFIX.get(out.suffix.lower(), "table")


def out_path_problem(out: Path) -> str | None:
    """Return why ``out`` cannot be written, with the fix, or None when it can.

    Checked before grading, so that no graded call is lost to an output file that fails at
    the end. The file itself is not created here.
    """
    if out.is_dir():
        example = str(out / "results.jsonl")
        return f"--out {str(out)!r} is a folder; pass a file path such as {example!r}"
    folder = out.parent
    if not folder.is_dir():
        return f"--out {str(out)!r}: the folder {str(folder)!r} does not exist; create it first"
    if out.exists() and not os.access(out, os.W_OK):
        return f"--out {str(out)!r} is not writable; change its permissions or pass another path"
    if not out.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return f"--out {str(out)!r}: the folder {str(folder)!r} is not writable; pass another path"
    return None


def overwrite_problem(out: Path, output_format: str) -> str | None:
    """Return why writing ``output_format`` to ``out`` would lose graded calls, or None.

    Only the jsonl format appends to a results file. Any other format replaces the file, so a
    results file of an earlier run is never replaced by a table, JSON or CSV.
    """
    if output_format == "jsonl" or not is_results_file(out):
        return None
    return (
        f"--out {str(out)!r} contains the scorecards of an earlier run, which --format "
        f"{output_format} would replace; pass --format jsonl to resume that run, or another "
        "--out file"
    )

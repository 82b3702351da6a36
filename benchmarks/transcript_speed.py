"""Measure how fast transcripts load and redact: each real file in the shared data folder, one core.

    .venv/bin/python benchmarks/transcript_speed.py [--repeat 20] [--data ../shared/data/raw]

For each file the script runs ``load_transcript`` and then ``redact_transcript`` ``--repeat``
times and prints milliseconds of CPU time per run (``time.process_time``), which other processes
on the machine disturb less than wall time. Without the shared data folder it uses examples/.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from winback_grader import load_transcript
from winback_grader.redaction import redact_transcript

REPO = Path(__file__).resolve().parents[1]
FILES = [
    "premier-phone-cancel-call/deepgram_nova3_diarized.json",
    "aws-transcribe-tscribe/03-speaker-identification.json",
    "aws-transcribe-tscribe/02-channel-identification.json",
    "deepgram-captions-fixtures/dg_speakers_no_utterances.json",
    "aws-pca-sample/pca_parsed_output_testfile.json",
    "whisper-timestamped-fixtures/smartphone.mp3_50.vtt",
]


def measure(path: Path, repeat: int) -> tuple[float, float, int]:
    """Return CPU milliseconds per load and per redaction, and the file's turn count."""
    started = time.process_time()
    for _ in range(repeat):
        transcript = load_transcript(path)
    loaded = time.process_time()
    for _ in range(repeat):
        redact_transcript(transcript)
    redacted = time.process_time()
    return (
        (loaded - started) * 1000 / repeat,
        (redacted - loaded) * 1000 / repeat,
        len(transcript.turns),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="Runs per file.")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "raw")
    args = parser.parse_args()
    # The PCA sample's swapped labels log a warning on every load, which would flood the table.
    logging.getLogger("winback_grader").setLevel(logging.ERROR)

    if args.data.is_dir():
        paths = [args.data / name for name in FILES if (args.data / name).is_file()]
    else:
        paths = sorted(p for p in (REPO / "examples").iterdir() if ".meta." not in p.name)
    print(f"{'file':<60} {'bytes':>9} {'turns':>6} {'load ms':>8} {'redact ms':>10}")
    for path in paths:
        load_ms, redact_ms, turns = measure(path, args.repeat)
        size = path.stat().st_size
        print(f"{path.name:<60} {size:>9,} {turns:>6} {load_ms:>8.1f} {redact_ms:>10.1f}")


if __name__ == "__main__":
    main()

"""Real speech-to-text outputs and captions from the shared data folder, read by each reader.

Every expected value below was established by reading the file itself (its JSON, its cues, or
the utterance listing beside the Premier call), not by running the readers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from winback_grader import TranscriptError, load_transcript
from winback_grader.redaction import redact_transcript

PREMIER = "premier-phone-cancel-call/deepgram_nova3_diarized.json"
PCA = "aws-pca-sample/pca_parsed_output_testfile.json"
AWS_REDACTED = (
    "aws-transcribe-tscribe/05-automatic-content-redaction-with-undredacted-redacted.json"
)


@dataclass(frozen=True)
class Expected:
    """What reading one real file must give."""

    format: str
    turns: int
    roles: dict[str, str]
    role_source: str
    first_start: float | None
    last_end: float | None
    duration: float | None
    opening: str
    """The start of the first turn's text."""


# One entry per file: format, turns, roles, role source, first start, last end and duration,
# then the opening words of the first turn.
# fmt: off
CASES: dict[str, Expected] = {
    PREMIER: Expected(
        "deepgram", 49, {"spk_0": "agent", "spk_1": "customer"}, "inferred",
        0.0, 462.86157, 462.98657,
        "Hi. Thank you for calling Premier Phone Services.",
    ),
    "premier-phone-cancel-call/utterances_derived.txt": Expected(
        "text", 49, {"speaker 0": "agent", "speaker 1": "customer"}, "inferred",
        0.0, 462.86, 462.86,
        "Hi. Thank you for calling Premier Phone Services.",
    ),
    "deepgram-captions-fixtures/dg_speakers.json": Expected(
        "deepgram", 8, {"spk_0": "unknown", "spk_1": "unknown", "spk_2": "unknown"}, "none",
        3.04, 163.105, 169.802,
        "And, Jessica, Christina, we are so proud of you.",
    ),
    # The same call without utterances: the diarizer's word-level speakers switch more often.
    "deepgram-captions-fixtures/dg_speakers_no_utterances.json": Expected(
        "deepgram", 10, {"spk_0": "unknown", "spk_1": "unknown", "spk_2": "unknown"}, "none",
        3.04, 163.105, 169.802,
        "And, Jessica, Christina, we are so proud of you.",
    ),
    "deepgram-captions-fixtures/dg_utterances.json": Expected(
        "deepgram", 1, {"ch_0": "unknown"}, "none", 0.08, 25.439999, 25.933313,
        "Yeah. As as much as,",
    ),
    "deepgram-captions-fixtures/dg_transcription.json": Expected(
        "deepgram", 1, {"ch_0": "unknown"}, "none", 0.08, 25.439999, 25.933313,
        "Yeah. As as much as,",
    ),
    "deepgram-captions-fixtures/dg_whisper_transcription.json": Expected(
        "deepgram", 1, {"ch_0": "unknown"}, "none", 0.06, 25.56, 25.933313,
        "yeah as much as",
    ),
    "deepgram-captions-fixtures/assemblyai_utterances.json": Expected(
        "assemblyai", 1, {"A": "unknown"}, "none", 0.17, 25.14, 25,
        "Yeah. As much as it's worth",
    ),
    "deepgram-captions-fixtures/assemblyai_transcription.json": Expected(
        "assemblyai", 1, {"A": "unknown"}, "none", 0.17, 25.14, 25,
        "Yeah. As much as it's worth",
    ),
    "deepgram-captions-fixtures/whisper_timestamped.json": Expected(
        "whisper", 1, {"unknown": "unknown"}, "none", 0.12, 25.32, 25.32,
        "Yeah, as much as it's worth",
    ),
    "whisper-timestamped-fixtures/large_apollo11.mp3.words.json": Expected(
        "whisper", 1, {"unknown": "unknown"}, "none", 0.36, 78.48, 78.48,
        "Apollo 11, Houston.",
    ),
    "aws-transcribe-tscribe/01-plain.json": Expected(
        "aws", 1, {"unknown": "unknown"}, "none", 0.49, 141.54, 141.54,
        "She was gone out into the village",
    ),
    AWS_REDACTED: Expected(
        "aws", 1, {"unknown": "unknown"}, "none", 0.49, 141.54, 141.54,
        "She was gone out into the village",
    ),
    "aws-transcribe-tscribe/02-channel-identification.json": Expected(
        "aws", 7, {"ch_1": "unknown", "ch_0": "unknown"}, "none", 0.49, 141.54, 141.54,
        "She was gone out into the village",
    ),
    "aws-transcribe-tscribe/03-speaker-identification.json": Expected(
        "aws", 7, {"spk_0": "unknown", "spk_1": "unknown", "spk_2": "unknown"}, "none",
        0.49, 141.54, 141.54,
        "She was gone out into the village",
    ),
    PCA: Expected(
        "aws", 12, {"spk_0": "agent", "spk_1": "customer"}, "labels", 0.04, 28.96, 28.67,
        "MM.",
    ),
    "azure-conversation-sample/Json_input_customer_support.json": Expected(
        "json", 15, {"Agent": "agent", "Customer": "customer"}, "labels", None, None, None,
        "Hello, you’re chatting with Rene. How may I help you?",
    ),
    "webvtt-py-fixtures/captions_with_bom.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 0.5, 21.58, 21.58,
        "Caption text #1 Caption text #2",
    ),
    "webvtt-py-fixtures/comments.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 135.0, 150.0, 150.0,
        "- Ta en kopp varmt te.",
    ),
    "webvtt-py-fixtures/cue_tags.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 16.5, 21.5, 21.5,
        "When the moon hits your eye Like a big-a pizza pie That's amore",
    ),
    "webvtt-py-fixtures/metadata_headers.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 0.5, 11.89, 11.89,
        "Caption text #1 Caption text #2",
    ),
    "webvtt-py-fixtures/sample.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 0.5, 64.3, 64.3,
        "Caption text #1 Caption text #2",
    ),
    "webvtt-py-fixtures/using_identifiers.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 0.5, 27.28, 27.28,
        "Caption text #1 Caption text #2 Caption text #3 Caption text #4 "
        "Caption text #5 Caption text #6",
    ),
    "webvtt-py-fixtures/youtube_dl.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 286.07, 305.4, 305.4,
        "yeah yeah what this will happen",
    ),
    "webvtt-py-fixtures/teams_timeframe.vtt": Expected(
        "vtt", 2, {"Yuri Bakulin": "unknown", "Adrian Petrescu": "unknown"}, "none",
        0.0, 1.13, 1.13,
        "There you go.",
    ),
    "webvtt-py-fixtures/sample.srt": Expected(
        "srt", 1, {"unknown": "unknown"}, "none", 0.5, 23.88, 23.88,
        "Caption text #1 Caption text #2",
    ),
    "whisper-timestamped-fixtures/smartphone.mp3_50.srt": Expected(
        "srt", 1, {"unknown": "unknown"}, "none", 0.38, 177.42, 177.42,
        "C'est évident ce que dit Nicolas,",
    ),
    "whisper-timestamped-fixtures/smartphone.mp3_50.vtt": Expected(
        "vtt", 1, {"unknown": "unknown"}, "none", 0.38, 177.42, 177.42,
        "C'est évident ce que dit Nicolas,",
    ),
}
# fmt: on


def _load(shared_data: Path, name: str, **options: Any) -> Any:
    path = shared_data / name
    if not path.is_file():
        pytest.skip(f"{path} is absent from the shared data folder")
    return load_transcript(path, **options)


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_file(shared_data: Path, name: str) -> None:
    expected = CASES[name]
    transcript = _load(shared_data, name)
    assert transcript.metadata["format"] == expected.format
    assert len(transcript.turns) == expected.turns
    assert transcript.metadata["roles"] == expected.roles
    assert transcript.metadata["role_source"] == expected.role_source
    roles = [expected.roles[turn.speaker] for turn in transcript.turns]
    assert [turn.role for turn in transcript.turns] == roles
    assert transcript.turns[0].start == expected.first_start
    assert transcript.turns[-1].end == expected.last_end
    assert transcript.metadata.get("duration") == expected.duration
    assert transcript.turns[0].text.startswith(expected.opening)
    assert transcript.id == transcript.metadata["call_id"]


def test_premier_call_roles_and_metadata(shared_data: Path) -> None:
    transcript = _load(shared_data, PREMIER)
    assert transcript.id == "deepgram_nova3_diarized"
    assert transcript.metadata["request_id"] == "7995c227-e260-43ac-90a0-19650d52918b"
    evidence = transcript.metadata["role_evidence"]
    assert set(evidence) == {"spk_0"}
    assert "this call may be recorded" in evidence["spk_0"]
    assert "thank you for calling" in evidence["spk_0"]
    last = transcript.turns[-1]
    assert (last.speaker, last.role) == ("spk_0", "agent")
    assert last.text.startswith("Not a problem. Is there anything else I can help you with?")
    assert "I need some help with my phone plan." in transcript.turns[7].text
    assert transcript.turns[7].role == "customer"


def test_premier_call_personal_data_redacted(shared_data: Path) -> None:
    original = _load(shared_data, PREMIER)
    redacted = redact_transcript(original)
    spoken = " ".join(turn.text for turn in original.turns)
    redacted_text = " ".join(turn.text for turn in redacted.turns)

    # The values spoken in the call, as the utterance listing shows them.
    assert "325125675914" in spoken
    assert "busy as heck x thirty one" in spoken
    assert "(444) 814-9913" in spoken

    assert "325125675914" not in redacted_text
    assert "busy as heck" not in redacted_text
    assert "b a h and the x" not in redacted_text
    assert "814-9913" not in redacted_text
    assert "Yeah. It's [ACCOUNT]." in redacted_text
    assert "And your phone number is still [PHONE]?" in redacted_text
    assert redacted.metadata["redactions"] == {
        "[ACCOUNT]": 1,
        "[ADDRESS]": 1,
        "[PHONE]": 1,
        "[SECRET]": 1,
    }
    assert [turn.text for turn in redacted.turns].count("[SECRET]") == 1
    assert "Thank you for calling Premier Phone Services." in redacted_text


def test_pca_sample_keeps_its_labels_and_warns(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The PCA sample labels spk_0 "Agent", yet spk_1 says "Thank you for calling Networks abc
    # technical Support" and spk_0 answers "Yes. Mhm.": the labels are swapped. The reader
    # keeps the file's own labels, because it cannot know which channel the dialer recorded,
    # and records the contradiction so a user can pass roles= to swap them.
    with caplog.at_level(logging.WARNING, logger="winback_grader"):
        transcript = _load(shared_data, PCA)
    assert transcript.turns[1].speaker == "spk_1"
    assert transcript.turns[1].text == "Thank you for calling Networks abc technical Support."
    assert transcript.turns[1].role == "customer"
    assert transcript.metadata["role_evidence"] == {"spk_1": ["thank you for calling"]}
    warning = (
        "the labels make spk_0 the agent, but spk_1 says what agents say (thank you for calling); "
        "if the labels are wrong, pass roles={'spk_1': 'agent'} to load_transcript"
    )
    assert transcript.metadata["warnings"] == [warning]
    assert any(message.endswith(warning) for message in caplog.messages)
    assert transcript.metadata["started_at"] == "2021-11-25 13:35:14.215558"
    assert transcript.metadata["language"] == "en-US"
    assert "agent_id" not in transcript.metadata

    swapped = _load(shared_data, PCA, roles={"spk_1": "agent"})
    assert swapped.metadata["roles"] == {"spk_0": "customer", "spk_1": "agent"}
    assert swapped.metadata["role_source"] == "mapping"
    assert swapped.turns[1].role == "agent"


def test_aws_jobs_without_labels_warn(shared_data: Path) -> None:
    transcript = _load(shared_data, "aws-transcribe-tscribe/01-plain.json")
    assert transcript.metadata["warnings"] == [
        "the job has neither speaker_labels nor channel_labels, so all speech is one speaker"
    ]
    assert transcript.metadata["job_name"] == "01-plain"
    assert transcript.ungradable_reason() is not None


def test_vtt_notes_and_headers_stay_out(shared_data: Path) -> None:
    comments = _load(shared_data, "webvtt-py-fixtures/comments.vtt").turns[0].text
    assert "Kyle" not in comments
    assert "may not translate well" not in comments
    headers = _load(shared_data, "webvtt-py-fixtures/metadata_headers.vtt").turns[0].text
    assert "Kind" not in headers
    youtube = _load(shared_data, "webvtt-py-fixtures/youtube_dl.vtt").turns[0].text
    assert "::cue" not in youtube
    assert "<c" not in youtube


def test_empty_vtt_fixture_is_rejected(shared_data: Path) -> None:
    path = shared_data / "webvtt-py-fixtures/styles2.vtt"
    if not path.is_file():
        pytest.skip(f"{path} is absent from the shared data folder")
    with pytest.raises(TranscriptError, match=r"styles2\.vtt: the transcript is empty$"):
        load_transcript(path)


def test_srt_and_vtt_of_one_clip_agree(shared_data: Path) -> None:
    srt = _load(shared_data, "whisper-timestamped-fixtures/smartphone.mp3_50.srt")
    vtt = _load(shared_data, "whisper-timestamped-fixtures/smartphone.mp3_50.vtt")
    assert srt.turns == vtt.turns

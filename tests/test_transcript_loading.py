"""load_transcript across formats: sources, encodings, line ends, detection, bad input, metadata."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from openai_server import OpenAIServer
from transcript_samples import EXPECTED_TEXT_TURNS, EXPECTED_TURNS, SAMPLES
from winback_grader import Transcript, TranscriptError, grade, load_transcript

FORMATS = sorted(SAMPLES)


def _turn_tuples(transcript: Transcript) -> list[tuple[str, str, float | None, float | None]]:
    return [(turn.role, turn.text, turn.start, turn.end) for turn in transcript.turns]


def _expected(format_name: str) -> list[tuple[str, str, float | None, float | None]]:
    return EXPECTED_TEXT_TURNS if format_name == "text" else EXPECTED_TURNS  # type: ignore[return-value]


@pytest.mark.parametrize("format_name", FORMATS)
def test_content_detection_picks_format(format_name: str) -> None:
    content, _ = SAMPLES[format_name]
    transcript = load_transcript(text=content)
    assert transcript.metadata["format"] == format_name
    assert _turn_tuples(transcript) == _expected(format_name)


@pytest.mark.parametrize("format_name", FORMATS)
def test_path_bytes_and_str_agree(format_name: str, tmp_path: Path) -> None:
    content, suffix = SAMPLES[format_name]
    path = tmp_path / f"call_42{suffix}"
    path.write_text(content, encoding="utf-8")
    from_path = load_transcript(path)
    from_str_path = load_transcript(str(path))
    from_bytes = load_transcript(content.encode("utf-8"))
    from_text = load_transcript(text=content)
    assert _turn_tuples(from_path) == _expected(format_name)
    assert _turn_tuples(from_str_path) == _turn_tuples(from_path)
    assert _turn_tuples(from_bytes) == _turn_tuples(from_path)
    assert _turn_tuples(from_text) == _turn_tuples(from_path)


@pytest.mark.parametrize("format_name", FORMATS)
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_line_ends_and_bom_give_same_turns(
    format_name: str, line_end: str, bom: bytes, tmp_path: Path
) -> None:
    content, suffix = SAMPLES[format_name]
    path = tmp_path / f"call{suffix}"
    path.write_bytes(bom + content.replace("\n", line_end).encode("utf-8"))
    assert _turn_tuples(load_transcript(path)) == _expected(format_name)


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_bytes(SAMPLES["text"][0].encode("utf-16"))
    assert _turn_tuples(load_transcript(path)) == EXPECTED_TEXT_TURNS


@pytest.mark.parametrize("format_name", FORMATS)
def test_format_argument_forces_reader(format_name: str, tmp_path: Path) -> None:
    content, _ = SAMPLES[format_name]
    path = tmp_path / "call.data"
    path.write_text(content, encoding="utf-8")
    transcript = load_transcript(path, format=format_name)
    assert transcript.metadata["format"] == format_name
    assert _turn_tuples(transcript) == _expected(format_name)


def test_extension_wins_over_content(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_text("[00:00:01] Agent: hi\n[00:00:02] Customer: hello\n", encoding="utf-8")
    assert load_transcript(path).metadata["format"] == "text"


def test_unknown_format_name_is_rejected() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text="Agent: hi", format="docx")
    message = str(error.value)
    assert "unknown format 'docx'" in message
    assert "text, json, vtt, srt, csv, whisper, aws, deepgram, assemblyai" in message


def test_unknown_json_layout_names_keys(tmp_path: Path) -> None:
    path = tmp_path / "call.json"
    path.write_text('{"foo": 1, "bar": 2}', encoding="utf-8")
    with pytest.raises(TranscriptError) as error:
        load_transcript(path)
    message = str(error.value)
    assert message.startswith(f"{path}: unknown JSON layout")
    assert "['bar', 'foo']" in message
    assert "pass format=" in message


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.vtt"
    path.write_bytes(b"")
    with pytest.raises(TranscriptError, match=r"empty\.vtt: the transcript is empty$"):
        load_transcript(path)


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(b"\xef\xbb\xbf \r\n\t\n")
    with pytest.raises(TranscriptError, match="the transcript is empty"):
        load_transcript(path)


def test_undecodable_bytes_name_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Agent: hello\nCustomer: caf\xe9\n".encode("latin-1"))
    with pytest.raises(TranscriptError) as error:
        load_transcript(path)
    message = str(error.value)
    assert message.startswith(f"{path}: line 2: byte 26 is not valid UTF-8")
    assert "save the file as UTF-8" in message


def test_file_over_limit_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Agent: hi\n" * 200, encoding="utf-8")
    with pytest.raises(TranscriptError) as error:
        load_transcript(path, max_bytes=1000)
    message = str(error.value)
    assert "the file is 2,000 bytes, over the limit of 1,000" in message
    assert "pass a larger max_bytes=" in message
    assert len(load_transcript(path, max_bytes=2000).turns) == 1


def test_text_over_limit_is_rejected() -> None:
    with pytest.raises(
        TranscriptError, match="<text>: the transcript is 21 bytes, over the limit of 10"
    ):
        load_transcript(text="Agent: hi\nCustomer: y", max_bytes=10)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "nope.vtt"
    with pytest.raises(TranscriptError, match=r"nope\.vtt: file not found$"):
        load_transcript(path)


def test_folder_is_not_a_transcript(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="is a folder, not a transcript file"):
        load_transcript(tmp_path)


def test_source_and_text_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="pass exactly one of"):
        load_transcript()
    with pytest.raises(TranscriptError, match="pass exactly one of"):
        load_transcript(tmp_path / "a.txt", text="Agent: hi")


def test_no_speech_is_rejected() -> None:
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Agent></v>\n"
    with pytest.raises(
        TranscriptError, match=r"<text>: no speech found: every turn in the vtt input is empty"
    ):
        load_transcript(text=vtt)


def test_reader_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_text("hello there\nAgent: hi\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as error:
        load_transcript(path)
    assert str(error.value) == (
        f"{path}: line 1: text before the first speaker label; start each turn with a label "
        "such as 'Agent:' or 'Customer:' (read as text)"
    )


def test_fragments_of_one_speaker_merge() -> None:
    transcript = load_transcript(text=SAMPLES["json"][0])
    assert len(transcript.turns) == 3
    first = transcript.turns[0]
    assert first.text == "Thank you for calling Acme. How can I help you today?"
    assert first.start == 0
    assert first.end == 4


def test_empty_turns_drop_before_merging() -> None:
    turns = [
        {"speaker": "Agent", "text": "Hello,", "start": 0, "end": 1},
        {"speaker": "Customer", "text": "  ", "start": 1, "end": 2},
        {"speaker": "Agent", "text": "how can I help?", "start": 2, "end": 3},
        {"speaker": "Customer", "text": "Cancel, please.", "start": 3, "end": 4},
    ]
    transcript = load_transcript(text=json.dumps(turns))
    assert [turn.text for turn in transcript.turns] == ["Hello, how can I help?", "Cancel, please."]
    assert transcript.turns[0].end == 3


# --- metadata ------------------------------------------------------------------------------


def test_call_id_defaults_to_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "call_0917.vtt"
    path.write_text(SAMPLES["vtt"][0], encoding="utf-8")
    transcript = load_transcript(path)
    assert transcript.id == "call_0917"
    assert transcript.metadata["call_id"] == "call_0917"


def test_text_without_call_id_is_named_transcript() -> None:
    assert load_transcript(text=SAMPLES["text"][0]).id == "transcript"


def test_duration_comes_from_times_when_absent() -> None:
    assert load_transcript(text=SAMPLES["vtt"][0]).metadata["duration"] == 9.0


def test_duration_from_file_is_kept() -> None:
    assert load_transcript(text=SAMPLES["deepgram"][0]).metadata["duration"] == 9.2


def test_metadata_in_file_is_read(tmp_path: Path) -> None:
    transcript = load_transcript(text=SAMPLES["json"][0])
    assert transcript.id == "c-1"
    assert transcript.metadata["agent_id"] == "a-7"


def test_json_sidecar_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "call.json"
    path.write_text(SAMPLES["json"][0], encoding="utf-8")
    sidecar = {"call_id": "c-99", "team": "retention", "csat": 4, "outcome": "won_back"}
    (tmp_path / "call.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    transcript = load_transcript(path)
    assert transcript.id == "c-99"
    assert transcript.metadata["agent_id"] == "a-7"
    assert transcript.metadata["team"] == "retention"
    assert transcript.metadata["csat"] == 4
    assert transcript.metadata["outcome"] == "won_back"


def test_yaml_sidecar_is_read(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(SAMPLES["vtt"][0], encoding="utf-8")
    (tmp_path / "call.meta.yaml").write_text(
        "agent_id: a-12\nstarted_at: '2026-11-02T10:15:00Z'\nrenewal_offer: half price\n",
        encoding="utf-8",
    )
    transcript = load_transcript(path)
    assert transcript.metadata["agent_id"] == "a-12"
    assert transcript.metadata["started_at"] == "2026-11-02T10:15:00Z"
    assert transcript.metadata["renewal_offer"] == "half price"


def test_metadata_argument_overrides_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(SAMPLES["vtt"][0], encoding="utf-8")
    (tmp_path / "call.meta.json").write_text('{"agent_id": "a-1", "team": "t"}', encoding="utf-8")
    transcript = load_transcript(path, metadata={"agent_id": "a-2", "call_id": "c-5"})
    assert transcript.metadata["agent_id"] == "a-2"
    assert transcript.metadata["team"] == "t"
    assert transcript.id == "c-5"


def test_sidecar_that_is_not_mapping(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(SAMPLES["vtt"][0], encoding="utf-8")
    sidecar = tmp_path / "call.meta.yaml"
    sidecar.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(TranscriptError) as error:
        load_transcript(path)
    assert str(error.value).startswith(
        f"{sidecar}: metadata sidecar contains a list; it must be a mapping"
    )


def test_invalid_json_sidecar_names_line(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(SAMPLES["vtt"][0], encoding="utf-8")
    sidecar = tmp_path / "call.meta.json"
    sidecar.write_text('{\n  "agent_id": "a-1",\n}\n', encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"call\.meta\.json: line 3: invalid JSON"):
        load_transcript(path)


def test_invalid_yaml_sidecar_names_line(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(SAMPLES["vtt"][0], encoding="utf-8")
    (tmp_path / "call.meta.yaml").write_text("agent_id: a-1\nteam: [unclosed\n", encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"call\.meta\.yaml: line \d: invalid YAML"):
        load_transcript(path)


# --- roles ---------------------------------------------------------------------------------


def test_roles_from_labels_are_recorded() -> None:
    transcript = load_transcript(text=SAMPLES["text"][0])
    assert transcript.metadata["roles"] == {"Agent": "agent", "Customer": "customer"}
    assert transcript.metadata["role_source"] == "labels"


def test_roles_inferred_from_words_are_recorded() -> None:
    transcript = load_transcript(text=SAMPLES["deepgram"][0])
    assert transcript.metadata["roles"] == {"spk_0": "agent", "spk_1": "customer"}
    assert transcript.metadata["role_source"] == "inferred"
    assert transcript.metadata["role_evidence"] == {
        "spk_0": ["how can i help", "thank you for calling"]
    }


def test_role_mapping_overrides_inference() -> None:
    transcript = load_transcript(text=SAMPLES["deepgram"][0], roles={"spk_1": "agent"})
    assert [turn.role for turn in transcript.turns] == ["customer", "agent", "customer"]
    assert transcript.metadata["role_source"] == "mapping"
    assert transcript.metadata["roles"] == {"spk_0": "customer", "spk_1": "agent"}


def test_role_mapping_rejects_unknown_role() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text=SAMPLES["deepgram"][0], roles={"spk_0": "rep"})
    assert str(error.value) == (
        "roles={'spk_0': 'rep'}: 'rep' is not a role; use one of agent, customer, unknown"
    )


def test_role_mapping_rejects_absent_speaker() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text=SAMPLES["deepgram"][0], roles={"0": "agent"})
    assert str(error.value) == (
        "roles= names speaker '0', which does not speak in the transcript; "
        "its speakers are 'spk_0', 'spk_1'"
    )


def test_speakers_without_evidence_stay_unknown() -> None:
    text = "Dana: Hello there.\nSam: Hi, nice weather.\n"
    transcript = load_transcript(text=text)
    assert [turn.role for turn in transcript.turns] == ["unknown", "unknown"]
    assert transcript.metadata["role_source"] == "none"


def test_label_conflict_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    text = "Customer: Thank you for calling Acme, how can I help?\nAgent: I want to cancel.\n"
    with caplog.at_level(logging.WARNING, logger="winback_grader"):
        transcript = load_transcript(text=text)
    assert transcript.metadata["role_source"] == "labels"
    assert transcript.turns[0].role == "customer"
    expected = (
        "the labels make Agent the agent, but Customer says what agents say "
        "(how can i help, thank you for calling); if the labels are wrong, "
        "pass roles={'Customer': 'agent'} to load_transcript"
    )
    assert transcript.metadata["warnings"] == [expected]
    assert f"<text>: {expected}" in caplog.messages


# --- calls that cannot be graded -----------------------------------------------------------


def test_voicemail_loads_as_ungradable() -> None:
    transcript = load_transcript(text="Agent: Hi, this is Dana from Acme, please call me back.\n")
    assert len(transcript.turns) == 1
    assert (
        transcript.ungradable_reason() == "the transcript has 1 turn(s); grading needs at least 2"
    )


def test_single_speaker_is_ungradable() -> None:
    text = "Agent: Hi, this is Dana from Acme.\n\nAgent: Please call me back.\n"
    transcript = load_transcript(text=text)
    assert len(transcript.turns) == 1  # both lines merge into one turn
    assert transcript.ungradable_reason() is not None


def test_voicemail_grades_all_na_without_model(openai_server: OpenAIServer, tmp_path: Path) -> None:
    path = tmp_path / "voicemail.txt"
    path.write_text("Agent: Hi, this is Dana from Acme. Please call me back.\n", encoding="utf-8")
    scorecard = grade(
        path,
        "winback",
        model="openai/test-model",
        api_base=openai_server.base_url,
        api_key="sk-test",
    )
    assert openai_server.requests == []
    assert scorecard.grades
    assert {grade.status for grade in scorecard.grades} == {"na"}
    reason = "Not gradable: the transcript has 1 turn(s); grading needs at least 2."
    assert {grade.reasoning for grade in scorecard.grades} == {reason}
    assert scorecard.total is None
    assert scorecard.passed is None
    assert scorecard.transcript_id == "voicemail"


def test_text_passed_as_path_gets_hint() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript("Agent: Hello.\nCustomer: Hi.")
    assert str(error.value) == (
        "Agent: Hello.\nCustomer: Hi.: file not found; to read transcript text, pass it as text=..."
    )


def test_long_text_passed_as_path_is_cut() -> None:
    text = "Agent: Hello.\n" + "Customer: Hi. " * 400
    with pytest.raises(TranscriptError) as error:
        load_transcript(text)
    message = str(error.value)
    assert message.startswith("Agent: Hello.\nCustomer: Hi. Customer: Hi.")
    assert "...: cannot be read: File name too long" in message
    assert message.endswith("; to read transcript text, pass it as text=...")
    assert len(message) < 200


@pytest.mark.parametrize("option", ["metadata", "roles"])
def test_options_must_be_mappings(option: str) -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text=SAMPLES["text"][0], **{option: [("spk_0", "agent")]})
    assert str(error.value) == (
        f"{option}= must be a mapping such as {{'spk_0': 'agent'}}, not list"
    )


def test_scorecard_carries_metadata(tmp_path: Path) -> None:
    path = tmp_path / "call_7.vtt"
    path.write_text(SAMPLES["vtt"][0], encoding="utf-8")
    sidecar = {"agent_id": "a-4", "team": "retention", "outcome": "won_back", "csat": 5}
    (tmp_path / "call_7.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    scorecard = grade(path)
    assert scorecard.transcript_id == "call_7"
    assert scorecard.metadata["call_id"] == "call_7"
    for key, value in sidecar.items():
        assert scorecard.metadata[key] == value
    assert scorecard.metadata["duration"] == 9.0
    assert scorecard.metadata["redacted"] is True

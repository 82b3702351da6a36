"""The JSON turns reader: bare lists, turns with metadata, role keys, Azure conversation items."""

from __future__ import annotations

import json

import pytest

from winback_grader import TranscriptError, load_transcript


def test_bare_list_of_turns() -> None:
    turns = [
        {"speaker": "spk_0", "text": "Hello.", "start": 0, "end": 1},
        {"speaker": "spk_1", "text": "Hi."},
    ]
    transcript = load_transcript(text=json.dumps(turns))
    assert [(t.speaker, t.text, t.start, t.end) for t in transcript.turns] == [
        ("spk_0", "Hello.", 0.0, 1.0),
        ("spk_1", "Hi.", None, None),
    ]


def test_role_key_sets_role() -> None:
    turns = [
        {"speaker": "Dana", "role": "agent", "text": "Hello."},
        {"speaker": "Beth", "role": "customer", "text": "Hi."},
    ]
    transcript = load_transcript(text=json.dumps(turns))
    assert [turn.role for turn in transcript.turns] == ["agent", "customer"]
    assert transcript.metadata["roles"] == {"Dana": "agent", "Beth": "customer"}


def test_role_without_speaker_becomes_label() -> None:
    turns = [{"role": "agent", "content": "Hello."}, {"role": "customer", "content": "Hi."}]
    transcript = load_transcript(text=json.dumps(turns))
    assert [(turn.speaker, turn.role) for turn in transcript.turns] == [
        ("agent", "agent"),
        ("customer", "customer"),
    ]


def test_numeric_speaker_becomes_text() -> None:
    turns = [{"speaker": 0, "text": "Hello."}, {"speaker": 1, "text": "Hi."}]
    assert [turn.speaker for turn in load_transcript(text=json.dumps(turns)).turns] == ["0", "1"]


def test_turns_with_metadata() -> None:
    document = {
        "turns": [{"speaker": "Agent", "text": "Hello."}, {"speaker": "Customer", "text": "Hi."}],
        "metadata": {"call_id": 17, "agent_id": "a-3", "team": "north", "csat": 5},
    }
    transcript = load_transcript(text=json.dumps(document))
    assert transcript.id == "17"
    assert transcript.metadata["team"] == "north"
    assert transcript.metadata["csat"] == 5


def test_azure_conversation_items() -> None:
    document = {
        "analysisInput": {
            "conversations": [
                {
                    "id": "conv-1",
                    "language": "en",
                    "conversationItems": [
                        {"participantId": "Agent", "id": "1", "text": "How may I help you?"},
                        {"participantId": "Customer", "id": "2", "text": "My wifi fails."},
                    ],
                }
            ]
        }
    }
    transcript = load_transcript(text=json.dumps(document))
    assert transcript.id == "conv-1"
    assert [(turn.speaker, turn.role) for turn in transcript.turns] == [
        ("Agent", "agent"),
        ("Customer", "customer"),
    ]


def test_several_azure_conversations_rejected() -> None:
    conversation = {"conversationItems": [{"participantId": "A", "text": "x"}]}
    document = {"analysisInput": {"conversations": [conversation, conversation]}}
    with pytest.raises(
        TranscriptError, match="the file contains 2 conversations; load_transcript reads one"
    ):
        load_transcript(text=json.dumps(document))


def test_invalid_json_names_line() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text='[\n  {"speaker": "A", "text": "x"},\n  oops\n]', format="json")
    assert (
        str(error.value)
        == "<text>: line 3: invalid JSON: Expecting value at column 3 (read as json)"
    )


def test_missing_text_names_turn() -> None:
    with pytest.raises(TranscriptError) as error:
        load_transcript(text='[{"speaker": "A", "words": "x"}]', format="json")
    assert (
        str(error.value)
        == "<text>: not valid JSON turns: turns.0.text: Field required (read as json)"
    )


def test_nan_time_is_rejected() -> None:
    with pytest.raises(TranscriptError, match=r"turns\.0\.start: Input should be a finite number"):
        load_transcript(text='[{"speaker": "A", "text": "x", "start": NaN}]', format="json")
